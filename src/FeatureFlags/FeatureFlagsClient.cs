using System.Text.Json.Serialization.Metadata;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags;

/// <summary>
/// A feature-flag client without a host, for console tools, scripts and test runners (the featureflag.co Python SDK's
/// <c>FFCClient(config, start_wait)</c>): it builds what it needs, connects, and disposes everything when disposed.
/// </summary>
/// <remarks>
/// <para>
/// An app with a Generic Host (ASP.NET Core, a worker service) uses <c>services.AddFeatureFlags(...)</c> instead: the host
/// starts and stops the client. A service provider built by hand from <c>AddFeatureFlags</c> has no host to start the
/// client: it never connects (a warning is logged, EventId 1007); use this class there.
/// </para>
/// <para>
/// Evaluation is the same as through <see cref="IFeatureFlagClient"/> (thread-safe, synchronous, never throws). Keep one
/// client per FeatBit environment for the process's lifetime, and dispose it at the end: disposing flushes the buffered
/// events (at most <see cref="InsightEventsOptions.ShutdownFlushTimeout"/>, 5 s by default) and closes the connection
/// (at most <see cref="StreamingOptions.CloseTimeout"/>, 2 s by default) — the Python SDK's <c>stop()</c>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var client = await FeatureFlagsClient.StartAsync(o =>
/// {
///     o.EnvSecret = Environment.GetEnvironmentVariable("FEATBIT_SECRET")!;
///     o.Streaming.Uri = new Uri("wss://featbit.contoso.com");
///     o.StartWaitTime = TimeSpan.FromSeconds(15);
/// });
/// var user = FlagUser.Create("tool-user");
/// Console.WriteLine(client.BoolVariation("new-report", user));
/// </code>
/// </example>
public sealed class FeatureFlagsClient : IFeatureFlagClient, IAsyncDisposable
{
    private readonly ClientContainer _container;
    private readonly FeatureFlagClient _client;
    private readonly TimeSpan _stopTimeout;
    private int _disposed;

    private FeatureFlagsClient(ClientContainer container)
    {
        _container = container;
        _client = container.Services.GetRequiredService<FeatureFlagClient>();
        Status = container.Services.GetRequiredService<IFeatureFlagsStatusProvider>();
        var options = container.Services.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        _stopTimeout = options.Events.ShutdownFlushTimeout + options.Streaming.CloseTimeout + StopMargin;
    }

    /// <summary>Slack over the flush and close bounds for the other hosted services' stops (the polling source, the cache file).</summary>
    internal static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(1);

    /// <summary>Gets the status of the flag data: <see cref="FeatureFlagsState.Ready"/> once flags arrived, and why not otherwise.</summary>
    public IFeatureFlagsStatusProvider Status { get; }

    /// <inheritdoc />
    public bool IsInitialized => _client.IsInitialized;

    /// <summary>
    /// Creates a client, validates its options, connects, and waits for the first flag data at most
    /// <see cref="FeatureFlagsOptions.StartWaitTime"/> (15 s by default; 0 does not wait).
    /// </summary>
    /// <param name="configure">Sets the options (the same as <c>AddFeatureFlags</c>'s: secret, URIs, offline, bootstrap file, ...).</param>
    /// <param name="loggerFactory">Where the client logs; none by default.</param>
    /// <param name="cancellationToken">Stops the wait (the client is then disposed and the exception thrown).</param>
    /// <returns>
    /// The client, whether or not flags arrived in time: check <see cref="Status"/> or <see cref="IsInitialized"/>; until
    /// flags arrive every evaluation returns the caller's default, and the client keeps connecting in the background.
    /// </returns>
    /// <exception cref="OptionsValidationException">The options are invalid (the message names the setting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static Task<FeatureFlagsClient> StartAsync(
        Action<FeatureFlagsOptions> configure, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
        => StartAsync(configure, loggerFactory, TimeProvider.System, cancellationToken);

    /// <summary>Creates and starts a client with the given clock (tests).</summary>
    internal static async Task<FeatureFlagsClient> StartAsync(
        Action<FeatureFlagsOptions> configure, ILoggerFactory? loggerFactory, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddLogging();
        services.AddSingleton(timeProvider);
        services.AddSingleton(new ClientIdentity(null, FeatureFlagsOptions.SectionName + ":", HostWillStart: true));
        services.AddOptions<FeatureFlagsOptions>().Configure(configure);
        FeatureFlagsServiceCollectionExtensions.AddCore(services);

        var container = new ClientContainer(services.BuildServiceProvider());
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
            return new FeatureFlagsClient(container);
        }
        catch
        {
            await StopAndDisposeAsync(container, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public bool IsEnabled(string flagKey, FlagUser user) => _client.IsEnabled(flagKey, user);

    /// <inheritdoc />
    public bool BoolVariation(string flagKey, FlagUser user, bool defaultValue = false) => _client.BoolVariation(flagKey, user, defaultValue);

    /// <inheritdoc />
    public EvaluationDetail<bool> BoolVariationDetail(string flagKey, FlagUser user, bool defaultValue = false) => _client.BoolVariationDetail(flagKey, user, defaultValue);

    /// <inheritdoc />
    public string StringVariation(string flagKey, FlagUser user, string defaultValue) => _client.StringVariation(flagKey, user, defaultValue);

    /// <inheritdoc />
    public EvaluationDetail<string> StringVariationDetail(string flagKey, FlagUser user, string defaultValue) => _client.StringVariationDetail(flagKey, user, defaultValue);

    /// <inheritdoc />
    public int IntVariation(string flagKey, FlagUser user, int defaultValue = 0) => _client.IntVariation(flagKey, user, defaultValue);

    /// <inheritdoc />
    public EvaluationDetail<int> IntVariationDetail(string flagKey, FlagUser user, int defaultValue = 0) => _client.IntVariationDetail(flagKey, user, defaultValue);

    /// <inheritdoc />
    public double DoubleVariation(string flagKey, FlagUser user, double defaultValue = 0) => _client.DoubleVariation(flagKey, user, defaultValue);

    /// <inheritdoc />
    public EvaluationDetail<double> DoubleVariationDetail(string flagKey, FlagUser user, double defaultValue = 0) => _client.DoubleVariationDetail(flagKey, user, defaultValue);

    /// <inheritdoc />
    public T JsonVariation<T>(string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo) => _client.JsonVariation(flagKey, user, defaultValue, jsonTypeInfo);

    /// <inheritdoc />
    public EvaluationDetail<T> JsonVariationDetail<T>(string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo)
        => _client.JsonVariationDetail(flagKey, user, defaultValue, jsonTypeInfo);

    /// <inheritdoc />
    public AllFlagsState GetAllFlags(FlagUser user) => _client.GetAllFlags(user);

    /// <inheritdoc />
    public void Track(FlagUser user, string eventName, double numericValue = 1) => _client.Track(user, eventName, numericValue);

    /// <inheritdoc />
    public void TrackPageView(FlagUser user, string eventName, string route) => _client.TrackPageView(user, eventName, route);

    /// <inheritdoc />
    public void Identify(FlagUser user) => _client.Identify(user);

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken = default) => _client.FlushAsync(cancellationToken);

    /// <summary>
    /// Flushes the buffered events (at most <see cref="InsightEventsOptions.ShutdownFlushTimeout"/>), closes the connection
    /// (at most <see cref="StreamingOptions.CloseTimeout"/>) and releases everything. Do not use the client afterwards.
    /// </summary>
    /// <returns>A task that completes when the client is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StopAndDisposeAsync(_container, _stopTimeout).ConfigureAwait(false);
        }
    }

    private static async Task StopAndDisposeAsync(ClientContainer container, TimeSpan timeout)
    {
        using var stop = new CancellationTokenSource(timeout);
        try
        {
            await container.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or AggregateException)
        {
            // Bounded: what did not stop in time is abandoned (the provider's disposal below releases it).
        }
        finally
        {
            await container.DisposeAsync().ConfigureAwait(false);
        }
    }
}
