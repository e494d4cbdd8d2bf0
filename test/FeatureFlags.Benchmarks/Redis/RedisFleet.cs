using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FeatureFlags.DataSystem;
using FeatureFlags.Tests.Support;

namespace FeatureFlags.Benchmarks.Redis;

/// <summary>
/// The fleet measurements of docs/performance.md ("Fleet scale on Redis"), each against its own <c>redis-server</c> and
/// the in-process FeatBit-protocol server, real sockets and real time:
/// <c>redis-propagation [changes] [flags]</c>: writer-to-daemon latency of a one-flag patch (from the writer's commit to
/// the daemon's evaluation seeing it); <c>redis-cold-start [instances] [flags]</c>: time to Ready and bytes fetched from
/// the flag server for instances starting from FeatBit alone, from Redis as writers (resuming with a patch), and as daemons.
/// </summary>
internal static class RedisFleet
{
    private const long V0 = 1_700_000_000_000;

    public static async Task PropagationAsync(string[] args)
    {
        var changes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var flagCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        using var redis = await RedisProcess.StartAsync();
        const string Secret = FakeFeatBitServer.DefaultSecret;
        var source = new ManualSource();
        await using var writer = RedisNode.ManualWriter(Secret, redis.ConnectionString, source);
        await writer.Service.StartAsync(CancellationToken.None);
        var updates = await source.Updates;
        updates.Apply(FlagDataSet.Parse(Message("full", Flags(flagCount, V0))));
        await using var daemon = RedisNode.Daemon(Secret, redis.ConnectionString);
        await daemon.Service.StartAsync(CancellationToken.None);
        if (!await daemon.Status.WaitForReadyAsync(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("The daemon did not become ready: " + daemon.Status.Current.LastError);
        }

        var user = FlagUser.Create("u");
        var expected = false;
        TaskCompletionSource<long>? visible = null;
        daemon.Store.FlagsChanged += (_, _) =>
        {
            var now = Stopwatch.GetTimestamp();
            if (daemon.Client.BoolVariation("f0", user, !expected) == expected)
            {
                visible?.TrySetResult(now);
            }
        };

        const int Warmup = 100;
        var samples = new double[changes];
        for (var i = 0; i < changes + Warmup; i++)
        {
            expected = i % 2 == 1; // f0 starts true
            visible = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var patch = FlagDataSet.Parse(Message("patch", [FakeFeatBitServer.BoolFlag("f0", expected, V0 + 1 + i)]));
            var start = Stopwatch.GetTimestamp();
            updates.Apply(patch);
            var end = await visible.Task.WaitAsync(TimeSpan.FromSeconds(30));
            if (i >= Warmup)
            {
                samples[i - Warmup] = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
            }
        }

        Array.Sort(samples);
        double P(double q) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(q * samples.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"writer-to-daemon over loopback Redis, {flagCount} flags, {changes} one-flag patches: p50 {P(0.50):F3} ms, p90 {P(0.90):F3} ms, p99 {P(0.99):F3} ms, max {samples[^1]:F3} ms"));
    }

    public static async Task ColdStartAsync(string[] args)
    {
        var instances = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var flagCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3000;
        using var redis = await RedisProcess.StartAsync();
        await using var server = await FakeFeatBitServer.StartAsync();
        foreach (var flag in Flags(flagCount, V0))
        {
            server.UpsertFlag(flag);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cold start of {instances} instances, {flagCount} flags (full data-sync {server.ReplyBytes(0) / 1024.0 / 1024.0:F2} MB), loopback:"));

        // Warm-up (JIT, connection pools), not reported: one instance of each kind below.
        await ReportAsync(null, server, 1, () => RedisNode.Streaming(server.Secret, server.StreamingUri, redis: null));

        // 1. From the flag server alone: every instance downloads everything.
        await ReportAsync("from the FeatBit-protocol server", server, instances, () => RedisNode.Streaming(server.Secret, server.StreamingUri, redis: null));

        // One writer fills Redis (not measured), then stops: its confirmation is recent.
        await using (var seed = RedisNode.Streaming(server.Secret, server.StreamingUri, redis.ConnectionString))
        {
            await seed.Service.StartAsync(CancellationToken.None);
            await WaitReadyAsync(seed);
            var started = Stopwatch.StartNew();
            while (seed.Writer!.StoredVersion < V0 && started.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
            }
        }

        // 2. Writers starting from Redis: the stored state at once, then a patch from the flag server.
        await ReportAsync("from Redis, as writers (resume with a patch)", server, instances, () => RedisNode.Streaming(server.Secret, server.StreamingUri, redis.ConnectionString));

        // 3. Daemons: Redis only.
        await ReportAsync("from Redis, as daemons (no flag server)", server, instances, () => RedisNode.Daemon(server.Secret, redis.ConnectionString));
    }

    private static async Task ReportAsync(string? what, FakeFeatBitServer server, int instances, Func<RedisNode> create)
    {
        var before = server.DataSyncTimestamps.Count;
        var nodes = Enumerable.Range(0, instances).Select(_ => create()).ToArray();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var times = await Task.WhenAll(nodes.Select(async node =>
        {
            await node.Service.StartAsync(CancellationToken.None);
            await WaitReadyAsync(node);
            return watch.Elapsed.TotalMilliseconds;
        }));
        var all = watch.Elapsed.TotalMilliseconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var cursors = server.DataSyncTimestamps.Skip(before).ToList();
        long bytes = cursors.Sum(c => (long)server.ReplyBytes(c));
        Array.Sort(times);
        if (what is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what}: all Ready in {all:F0} ms (p50 {times[times.Length / 2]:F0} ms, max {times[^1]:F0} ms); {cursors.Count} data-sync requests ({cursors.Count(c => c == 0)} full), {bytes / 1024.0 / 1024.0:F2} MB from the flag server; {allocated / 1024.0 / 1024.0:F0} MB allocated in-process"));
        }

        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static async Task WaitReadyAsync(RedisNode node)
    {
        if (!await node.Status.WaitForReadyAsync(TimeSpan.FromSeconds(120)))
        {
            throw new InvalidOperationException("An instance did not become ready: " + node.Status.Current.LastError);
        }
    }

    internal static JsonObject[] Flags(int count, long version)
        => [.. Enumerable.Range(0, count).Select(i => FakeFeatBitServer.BoolFlag("f" + i.ToString(CultureInfo.InvariantCulture), true, version))];

    internal static string Message(string eventType, JsonObject[] flags)
        => new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject { ["eventType"] = eventType, ["featureFlags"] = new JsonArray([.. flags]), ["segments"] = new JsonArray() },
        }.ToJsonString();
}
