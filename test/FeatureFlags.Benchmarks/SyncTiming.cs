using System.Diagnostics;
using System.Globalization;
using FeatureFlags.Benchmarks.OfficialShaped;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// A quick Stopwatch comparison of the full data-sync apply against the official-shaped peer (median of a few runs,
/// allocated bytes of the thread), to steer work between BenchmarkDotNet runs: <c>sync-timing [flags]</c>.
/// </summary>
internal static class SyncTiming
{
    public static void Run(string[] args)
    {
        var counts = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [300, 3_000, 10_000];
        foreach (var count in counts)
        {
            var message = SyncData.FullMessage(count);
            Measure($"{count,6} flags  ours     ", () => SyncApplyBenchmarks.NewStore().Apply(WireJson.ReadDataSync(message)));
            Measure($"{count,6} flags  parse    ", () => WireJson.ReadDataSync(message));
            Measure($"{count,6} flags  official ", () => OfficialShapedSync.Apply(message));
            var store = SyncApplyBenchmarks.NewStore();
            store.Apply(WireJson.ReadDataSync(message));
            var patch = System.Text.Encoding.UTF8.GetBytes(SyncData.Envelope("patch", [SyncData.Flag(42, 1_700_000_000_001)]));
            var version = 1_700_000_000_001L;
            Measure($"{count,6} flags  patch one", () =>
            {
                var payload = WireJson.ReadDataSync(patch);
                payload.FeatureFlags!.Items[0].UpdatedAt = ++version;
                return store.Apply(payload);
            });
        }
    }

    private static void Measure(string name, Func<object> run)
    {
        for (var i = 0; i < 3; i++)
        {
            run();
        }

        var times = new List<double>();
        long bytes = 0;
        for (var i = 0; i < 15; i++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            GC.KeepAlive(run());
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} median {times[times.Count / 2],8:F2} ms  min {times[0],8:F2} ms  {bytes / 1024.0,10:F0} KB"));
    }
}
