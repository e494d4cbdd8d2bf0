using System.Diagnostics;
using System.Globalization;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// Push-to-visible latency on loopback: the in-process FeatBit-protocol server pushes a one-flag patch; the clock
/// stops when an evaluation on the app side sees the new value (measured in the store's commit notification, which
/// runs after the snapshot swap). Real sockets, real time, the real sync service.
/// </summary>
internal static class PushLatency
{
    public static async Task RunAsync(int pushes = 2000)
    {
        await using var server = await FakeFeatBitServer.StartAsync();
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("latency-flag", false, 1_700_000_000_000));
        var options = Options.Create(new FeatureFlagsOptions { EnvSecret = server.Secret, Streaming = { Uri = server.StreamingUri }, StartWaitTime = TimeSpan.FromSeconds(10) });
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        var client = new FeatureFlagClient(store, options);
        var status = new StatusProvider(TimeProvider.System, NullLogger<StatusProvider>.Instance);
        using var service = new FlagDataSystem(options, store, status, TimeProvider.System, NullLogger<FlagDataSystem>.Instance, new StreamingDataSource(options, new ConnectionTokenProvider(TimeProvider.System), TimeProvider.System, NullLoggerFactory.Instance));
        await service.StartAsync(CancellationToken.None);
        if (status.Current.State != FeatureFlagsState.Ready)
        {
            throw new InvalidOperationException("The sync service did not become ready.");
        }

        var user = FlagUser.Create("u");
        var samples = new double[pushes];
        TaskCompletionSource<long>? visible = null;
        var expected = false;
        store.FlagsChanged += (_, _) =>
        {
            var now = Stopwatch.GetTimestamp();
            if (client.BoolVariation("latency-flag", user, !expected) == expected)
            {
                visible?.TrySetResult(now);
            }
        };

        for (var i = 0; i < pushes + 200; i++)
        {
            expected = i % 2 == 0;
            visible = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var flag = FakeFeatBitServer.BoolFlag("latency-flag", expected, 1_700_000_000_001 + i);
            var start = Stopwatch.GetTimestamp();
            await server.PushFlagAsync(flag);
            var end = await visible.Task.WaitAsync(TimeSpan.FromSeconds(10));
            if (i >= 200)
            {
                samples[i - 200] = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds; // the first 200 are warm-up
            }
        }

        await service.StopAsync(CancellationToken.None);
        Array.Sort(samples);
        double P(double q) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(q * samples.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"push-to-visible over loopback, {pushes} pushes: p50 {P(0.50):F3} ms, p90 {P(0.90):F3} ms, p99 {P(0.99):F3} ms, max {samples[^1]:F3} ms"));
    }
}
