using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Telemetry.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FeatureFlags.Tests.Failover;

/// <summary>
/// A real data system with <c>DataSync = Auto</c>: the real <see cref="AutoDataSource"/> over the real streaming and
/// polling sources (the polling HttpClient from the SDK's own registration), against the in-process FeatBit fake, all
/// on one <see cref="FakeTimeProvider"/>, with the SDK's metrics on a meter of its own.
/// </summary>
internal sealed class AutoHarness : DataSystemHarness
{
    private readonly ServiceProvider _services;

    private AutoHarness(FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options, FakeLogCollector logs, ServiceProvider services, FeatureFlagsMetrics metrics)
        : base(
            server, time, options, logs, services.GetRequiredService<ILoggerFactory>(),
            wrapped =>
            {
                var loggers = services.GetRequiredService<ILoggerFactory>();
                return new AutoDataSource(
                    new StreamingDataSource(wrapped, new ConnectionTokenProvider(time), time, loggers, metrics: metrics),
                    new PollingDataSource(services.GetRequiredService<IHttpClientFactory>(), wrapped, time, loggers.CreateLogger<PollingDataSource>(), metrics),
                    wrapped,
                    time,
                    loggers.CreateLogger<AutoDataSource>(),
                    metrics);
            },
            metrics: metrics)
    {
        _services = services;
        Metrics = metrics;
        Source = (AutoDataSource)Service.Source!;
    }

    public AutoDataSource Source { get; }

    public FeatureFlagsMetrics Metrics { get; }

    public static async Task<AutoHarness> CreateAsync(Action<FeatureFlagsOptions>? configure = null)
    {
        var (server, time, options, logs, services) = await Polling.PollingHarness.PrepareAsync(DataSyncMode.Auto, configure);
        return new AutoHarness(server, time, options, logs, services, new FeatureFlagsMetrics());
    }

    public string? Transport => Status.Current.DataSource;

    public Task AdvanceUntilAsync(Func<bool> condition, string what, TimeSpan? step = null, int maxSteps = 400)
        => Time.AdvanceUntilAsync(condition, step ?? TimeSpan.FromSeconds(1), what, maxSteps);

    public int LogCount(int eventId) => Logs.GetSnapshot().Count(r => r.Id.Id == eventId);

    protected override async ValueTask DisposeMoreAsync()
    {
        Metrics.Dispose();
        await _services.DisposeAsync();
    }
}
