using System.Diagnostics;
using System.Globalization;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// Real-time measurements of the transports on loopback, against the in-process FeatBit-protocol server:
/// <c>poll-latency</c>, the time from a change on the server to its value being visible to evaluations when polling every
/// second; <c>failover-time</c>, the time from start to Ready when every WebSocket upgrade is refused
/// (<c>DataSync = Auto</c> fails over to polling), next to the time to Ready when streaming gets through.
/// </summary>
internal static class TransportTiming
{
    private const long V1 = 1_700_000_000_000;

    public static async Task PollLatencyAsync(int changes = 60)
    {
        await using var server = await FakeFeatBitServer.StartAsync();
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("latency-flag", false, V1));
        await using var client = await StartAsync(server, DataSyncMode.Polling);
        var user = FlagUser.Create("u");
        var samples = new double[changes];
        for (var i = 0; i < changes; i++)
        {
            // Changes land at arbitrary points of the interval: wait a random part of it first.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1000)), TimeProvider.System);
            var expected = i % 2 == 0;
            var start = Stopwatch.GetTimestamp();
            server.UpsertFlag(FakeFeatBitServer.BoolFlag("latency-flag", expected, V1 + 1 + i));
            while (client.Client.BoolVariation("latency-flag", user, !expected) != expected)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);
            }

            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Report($"change-to-visible, polling every 1 s, {changes} changes", samples);
    }

    public static async Task FailoverTimeAsync(int runs = 50)
    {
        var failover = new double[runs];
        var streaming = new double[runs];
        for (var i = 0; i < runs + 5; i++)
        {
            foreach (var refuse in new[] { true, false })
            {
                await using var server = await FakeFeatBitServer.StartAsync();
                server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag", true, V1));
                server.RefuseWebSocketUpgrades = refuse;
                var start = Stopwatch.GetTimestamp();
                await using var client = await StartAsync(server, DataSyncMode.Auto);
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (client.Status.Current.DataSource != (refuse ? "polling" : "streaming"))
                {
                    throw new InvalidOperationException($"expected {(refuse ? "polling" : "streaming")}, got {client.Status.Current.DataSource}");
                }

                if (i >= 5)
                {
                    (refuse ? failover : streaming)[i - 5] = elapsed; // the first 5 are warm-up
                }
            }
        }

        Report($"start to Ready, DataSync = Auto, upgrades refused (failover to polling), {runs} starts", failover);
        Report($"start to Ready, DataSync = Auto, streaming gets through, {runs} starts", streaming);
    }

    /// <summary>A data system on real time, started and Ready (StartWaitTime 10 s).</summary>
    private static async Task<Running> StartAsync(FakeFeatBitServer server, DataSyncMode mode)
    {
        var options = Options.Create(new FeatureFlagsOptions
        {
            EnvSecret = server.Secret,
            DataSync = mode,
            Streaming = { Uri = server.StreamingUri },
            Polling = { Interval = TimeSpan.FromSeconds(1) },
            StartWaitTime = TimeSpan.FromSeconds(10),
        });
        var services = new ServiceCollection();
        services.AddSingleton(options);
        services.AddLogging();
        services.AddFeatureFlagPolling();
        var provider = services.BuildServiceProvider();
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        var status = new StatusProvider(TimeProvider.System, NullLogger<StatusProvider>.Instance);
        var streamingSource = new StreamingDataSource(options, new ConnectionTokenProvider(TimeProvider.System), TimeProvider.System, NullLoggerFactory.Instance);
        var pollingSource = new PollingDataSource(provider.GetRequiredService<IHttpClientFactory>(), options, TimeProvider.System, NullLogger<PollingDataSource>.Instance);
        FeatureFlags.DataSystem.IFlagDataSource source = mode == DataSyncMode.Polling
            ? pollingSource
            : new AutoDataSource(streamingSource, pollingSource, options, TimeProvider.System, NullLogger<AutoDataSource>.Instance);
        var dataSystem = new FlagDataSystem(options, store, status, TimeProvider.System, NullLogger<FlagDataSystem>.Instance, source);
        await dataSystem.StartAsync(CancellationToken.None);
        if (status.Current.State != FeatureFlagsState.Ready)
        {
            throw new InvalidOperationException("The data system did not become ready.");
        }

        return new Running(new FeatureFlagClient(store, options), status, dataSystem, provider);
    }

    private static void Report(string what, double[] samples)
    {
        Array.Sort(samples);
        double P(double q) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(q * samples.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: p50 {P(0.50):F1} ms, p90 {P(0.90):F1} ms, p99 {P(0.99):F1} ms, max {samples[^1]:F1} ms"));
    }

    private sealed record Running(FeatureFlagClient Client, StatusProvider Status, FlagDataSystem DataSystem, ServiceProvider Services) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await DataSystem.StopAsync(CancellationToken.None);
            DataSystem.Dispose();
            await Services.DisposeAsync();
        }
    }
}
