using System.Net;
using System.Net.Sockets;
using FeatureFlags.Events.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// A real generic host running the SDK as an app does (<c>AddFeatureFlags(configuration)</c>, hosted services, options
/// validation), with a <see cref="FakeTimeProvider"/> for every SDK timer and every log record captured.
/// </summary>
internal static class ReliabilityHost
{
    /// <summary>Generous: only trips when something hangs (a failure), never a timing assertion.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static IHost Build(Dictionary<string, string?> settings, FakeTimeProvider time, ILoggerProvider logs, TimeSpan? shutdownTimeout = null, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? Bound);
        configure?.Invoke(builder.Services);
        builder.Services.AddFeatureFlags(builder.Configuration);
        return builder.Build();
    }

    /// <summary>Advances fake time in steps (giving the SDK real time to arm its next timer) until <paramref name="condition"/> holds.</summary>
    public static Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition, TimeSpan step, string what, int maxSteps = 400)
        => FakeClock.AdvanceUntilAsync(time, condition, step, what, maxSteps);

    /// <summary>Every event the processor ever saw is sent, dropped, failed, refused or still pending.</summary>
    public static long Accounted(EventProcessor events) => events.Sent + events.Dropped + events.Failed + events.Invalid;

    public static bool HasLog(FakeLogCollector logs, int id) => logs.GetSnapshot().Any(r => r.Id.Id == id);
}

/// <summary>
/// A loopback TCP listener that accepts connections and never answers (a server that hangs during the WebSocket
/// handshake, or a black-holed proxy).
/// </summary>
internal sealed class SilentTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAccepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _acceptLoop;

    public SilentTcpServer()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public Uri StreamingUri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Completes when a client has connected.</summary>
    public Task FirstAccepted => _firstAccepted.Task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_accepted)
        {
            _accepted.ForEach(c => c.Dispose());
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_accepted)
            {
                _accepted.Add(client);
            }

            _firstAccepted.TrySetResult();
        }
    }
}
