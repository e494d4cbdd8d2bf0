using System.Diagnostics;
using System.Globalization;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Reliability;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// <c>load [seconds] [patches-per-second] [pairs]</c>: 16 threads evaluate continuously (five flags, users taking the target,
/// segment-rule and rollout paths) for a fixed real time, first with no writes, then while a writer applies patches
/// through the data-sync path (parse, compile, swap) at a fixed rate, alternating. Prints evaluations per second in total and per
/// thread, the patch rate achieved, the latency of every 16th evaluation (p50/p99/p99.9) and the GC work.
/// </summary>
internal static class LoadRun
{
    private const int Threads = 16;
    private const int SampleEvery = 16;
    private const int BucketNs = 10;
    private const int Buckets = 10_000; // 10 ns buckets up to 100 µs, then one overflow bucket

    public static void Run(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var pairs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Threads} evaluating threads, {seconds} s per run, {pairs} pairs of runs (without, with patches: alternated, so a busy neighbour shows as a spread, not as a difference), {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}; events off (the evaluation and the store only)"));
        Measure(TimeSpan.FromSeconds(1), rate); // warm-up (JIT, tiering)
        for (var pair = 1; pair <= pairs; pair++)
        {
            Print(string.Create(CultureInfo.InvariantCulture, $"run {pair}: no patches"), Measure(TimeSpan.FromSeconds(seconds), 0));
            Print(string.Create(CultureInfo.InvariantCulture, $"run {pair}: {rate:N0} patches/s"), Measure(TimeSpan.FromSeconds(seconds), rate));
        }
    }

    private static Result Measure(TimeSpan duration, int patchesPerSecond)
    {
        var options = Options.Create(new FeatureFlagsOptions());
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        store.Apply(LoadWorkload.Initial());
        var client = new FeatureFlagClient(store, options);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: true));
        using var go = new ManualResetEventSlim();
        var stopAt = 0L;
        var counts = new long[Threads];
        var histograms = new long[Threads][];
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var histogram = new long[Buckets + 1];
            var users = LoadWorkload.Users;
            var keys = LoadWorkload.FlagKeys;
            long n = 0;
            go.Wait();
            while (Stopwatch.GetTimestamp() < Volatile.Read(ref stopAt))
            {
                for (var i = 0; i < 256; i++, n++)
                {
                    var key = keys[(int)(n % keys.Length)];
                    var user = users[(int)((n / keys.Length) + t) % users.Length];
                    if (n % SampleEvery != 0)
                    {
                        client.StringVariation(key, user, "default");
                        continue;
                    }

                    var start = Stopwatch.GetTimestamp();
                    client.StringVariation(key, user, "default");
                    var ns = (Stopwatch.GetTimestamp() - start) * 1_000_000_000 / Stopwatch.Frequency;
                    histogram[Math.Min(Buckets, ns / BucketNs)]++;
                }
            }

            counts[t] = n;
            histograms[t] = histogram;
        })
        { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());

        var started = Stopwatch.GetTimestamp();
        Volatile.Write(ref stopAt, started + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        go.Set();

        // The writer applies the patches that are due, then waits about a millisecond (a blocking wait: no spinning
        // to steal from the readers). Patch bytes are built ahead, as a server's push arrives already serialised.
        var patches = 0L;
        var applyTicks = 0L;
        if (patchesPerSecond > 0)
        {
            var total = (long)(patchesPerSecond * duration.TotalSeconds);
            var messages = Enumerable.Range(1, (int)total).Select(i => LoadWorkload.Patch(i)).ToArray();
            using var tick = new ManualResetEventSlim();
            while (Stopwatch.GetTimestamp() < stopAt && patches < total)
            {
                var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * patchesPerSecond));
                for (; patches < due; patches++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    store.Apply(WireJson.ReadDataSync(messages[patches]));
                    applyTicks += Stopwatch.GetTimestamp() - t0;
                }

                tick.Wait(TimeSpan.FromMilliseconds(1));
            }
        }

        threads.ForEach(t => t.Join());
        var elapsed = Stopwatch.GetElapsedTime(started);
        var merged = new long[Buckets + 1];
        foreach (var h in histograms)
        {
            for (var b = 0; b < merged.Length; b++)
            {
                merged[b] += h[b];
            }
        }

        return new Result(
            elapsed,
            counts,
            patches,
            patches == 0 ? 0 : applyTicks * 1_000_000.0 / Stopwatch.Frequency / patches,
            merged,
            GC.CollectionCount(0) - gc.Item1,
            GC.CollectionCount(1) - gc.Item2,
            GC.CollectionCount(2) - gc.Item3,
            GC.GetTotalAllocatedBytes(precise: true) - gc.Item4);
    }

    private static void Print(string title, Result r)
    {
        var total = r.Counts.Sum();
        var seconds = r.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            -- {title}
            evaluations: {total / seconds:N0}/s in total; per thread min {r.Counts.Min() / seconds:N0}/s, max {r.Counts.Max() / seconds:N0}/s
            patches applied: {r.Patches:N0} ({r.Patches / seconds:N0}/s), mean apply {r.MeanApplyMicros:F1} µs wall time per patch (parse + compile + swap, while the evaluating threads compete for the CPU)
            evaluation latency (every {SampleEvery}th call): p50 {LatencyHistogram.Percentile(r.Histogram, BucketNs, 0.5)}, p99 {LatencyHistogram.Percentile(r.Histogram, BucketNs, 0.99)}, p99.9 {LatencyHistogram.Percentile(r.Histogram, BucketNs, 0.999)}
            GC: gen0 {r.Gen0}, gen1 {r.Gen1}, gen2 {r.Gen2}; allocated {r.Allocated / 1024.0 / 1024.0:F1} MiB ({r.Allocated / (double)total:F1} bytes per evaluation)
            """));
    }

    private sealed record Result(TimeSpan Elapsed, long[] Counts, long Patches, double MeanApplyMicros, long[] Histogram, int Gen0, int Gen1, int Gen2, long Allocated);
}
