using System.Collections;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// The app's logger factory as a named client's container sees it: every entry its loggers write is inside a
/// <c>FeatureFlagsClient = name</c> scope, so the logs of several clients can be told apart. Never disposes the app's factory.
/// </summary>
internal sealed class ClientLoggerFactory(ILoggerFactory inner, string client) : ILoggerFactory
{
    private readonly ClientScope _scope = new(client);

    public ILogger CreateLogger(string categoryName) => new ClientLogger(inner.CreateLogger(categoryName), _scope);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The app owns the factory.
    }

    private sealed class ClientLogger(ILogger inner, ClientScope scope) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
            => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            using (inner.BeginScope(scope))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    /// <summary>The scope's state: one structured property, <c>FeatureFlagsClient</c>.</summary>
    internal sealed class ClientScope(string client) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public const string PropertyName = "FeatureFlagsClient";

        private readonly KeyValuePair<string, object?> _property = new(PropertyName, client);

        public int Count => 1;

        public KeyValuePair<string, object?> this[int index]
            => index == 0 ? _property : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return _property;
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"{PropertyName}:{client}";
    }
}
