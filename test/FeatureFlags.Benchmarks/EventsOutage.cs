using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// <c>events-outage</c>: the event endpoint is down (nothing listens on its port) while two producers evaluate and
/// track as fast as a busy app would, for <see cref="Duration"/> of real time. The flush interval is shortened to
/// 100 ms, so the run goes through as many flush-and-fail cycles as 50× its length at the default 5 s (20 s ≈ 17
/// minutes of outage). Reports the latency of each call (every call is timed), what the buffer held and dropped, and
/// the managed heap sampled during the run.
/// </summary>
internal static class EventsOutage
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    private const int Producers = 2;
    private const int Burst = 200;
    private const int Buckets = 1000;
    private const int BucketNs = 10;

    public static async Task RunAsync()
    {
        var options = Options.Create(new FeatureFlagsOptions
        {
            EnvSecret = "outage-secret",
            Events = { Uri = new Uri($"http://127.0.0.1:{FreePort()}"), FlushInterval = FlushInterval },
        });
        var services = new ServiceCollection();
        services.AddSingleton(options);
        services.AddFeatureFlagEvents();
        await using var provider = services.BuildServiceProvider();
        var processor = provider.GetRequiredService<EventProcessor>();
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        store.ApplyFull([OffFlag()], []);
        var client = new FeatureFlagClient(store, options, processor);
        var users = Enumerable.Range(0, 1000).Select(i => FlagUser.Create(string.Create(CultureInfo.InvariantCulture, $"user-{i}"))).ToArray();

        var heapBefore = Heap(force: true);
        await processor.StartAsync(CancellationToken.None);
        var stopAt = Stopwatch.GetTimestamp() + (long)(Duration.TotalSeconds * Stopwatch.Frequency);
        var maxHeap = 0L;
        var sampler = Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                maxHeap = Math.Max(maxHeap, Heap(force: false));
                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
            }
        });
        var gen2Before = GC.CollectionCount(2);
        var results = await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(() => ProduceAsync(client, users, p, stopAt))));
        await sampler;
        var gen2 = GC.CollectionCount(2) - gen2Before;

        var pendingAtEnd = processor.Pending;
        var heapFull = Heap(force: true);
        using (var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await processor.StopAsync(shutdown.Token);
        }

        var histogram = new long[Buckets + 1];
        foreach (var r in results)
        {
            for (var b = 0; b < histogram.Length; b++)
            {
                histogram[b] += r.Histogram[b];
            }
        }

        var calls = histogram.Sum();
        var maxNs = results.Max(r => r.MaxNs);
        string Percentile(double p) => LatencyHistogram.Percentile(histogram, BucketNs, p);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            Endpoint down for {Duration.TotalSeconds:F0} s of real time, flush every {FlushInterval.TotalMilliseconds:F0} ms ({Duration / FlushInterval:F0} flush cycles = {Duration.TotalSeconds * 50 / 60:F0} minutes at the default 5 s), {Producers} producers.
            Calls timed: {calls:N0} (BoolVariation + Track, each with an event), {calls / Duration.TotalSeconds:N0} per second
            Latency per call: median {Percentile(0.5)}, p99 {Percentile(0.99)}, p99.9 {Percentile(0.999)}, p99.99 {Percentile(0.9999)}; {histogram[Buckets]:N0} calls took >= {Buckets * BucketNs / 1000} µs, the longest {maxNs / 1000.0:F0} µs
            Buffer: capacity {options.Value.Events.BufferCapacity:N0}, pending at the end {pendingAtEnd:N0}; dropped {processor.Dropped:N0}, failed to send {processor.Failed:N0}, sent {processor.Sent:N0}
            Managed heap: before {heapBefore / 1024.0 / 1024.0:F1} MiB, max sampled during the run {maxHeap / 1024.0 / 1024.0:F1} MiB, retained at the end with the buffer full {heapFull / 1024.0 / 1024.0:F1} MiB, after shutdown {Heap(force: true) / 1024.0 / 1024.0:F1} MiB; gen2 collections during the run: {gen2}
            """));
    }

    private static async Task<(long[] Histogram, long MaxNs)> ProduceAsync(FeatureFlagClient client, FlagUser[] users, int producer, long stopAt)
    {
        // 10 ns buckets up to 10 µs, then one overflow bucket: the harness itself allocates nothing while it runs.
        var histogram = new long[Buckets + 1];
        var maxNs = 0L;
        var i = producer;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            for (var b = 0; b < Burst; b++)
            {
                var user = users[i++ % users.Length];
                var start = Stopwatch.GetTimestamp();
                client.BoolVariation("checkout-v2-off", user, true);
                var middle = Stopwatch.GetTimestamp();
                client.Track(user, "purchase", 1);
                var end = Stopwatch.GetTimestamp();
                Record(histogram, ref maxNs, middle - start);
                Record(histogram, ref maxNs, end - middle);
            }

            // A busy app, not a spin loop: about Burst x 1000 calls per second per producer.
            await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);
        }

        return (histogram, maxNs);
    }

    private static void Record(long[] histogram, ref long maxNs, long ticks)
    {
        var ns = (long)(ticks * 1_000_000_000.0 / Stopwatch.Frequency);
        maxNs = Math.Max(maxNs, ns);
        histogram[Math.Min(Buckets, (int)(ns / BucketNs))]++;
    }

    private static long Heap(bool force)
    {
        if (force)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: force);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static FlagDto OffFlag() => new()
    {
        Id = "id-off",
        Key = "checkout-v2-off",
        VariationType = "boolean",
        Variations = [new VariationDto { Id = "t", Value = "true" }, new VariationDto { Id = "f", Value = "false" }],
        TargetUsers = [],
        Rules = [],
        IsEnabled = false,
        DisabledVariationId = "f",
        UpdatedAt = 1_700_000_000_000,
    };
}
