using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// The chaos run of docs/reliability.md: the real sync service against the real in-process FeatBit-protocol server,
/// which changes flags and segments continuously while it injects one seeded, random fault per cycle (close 1000 or
/// 1011 mid-session, TCP drops, dead and recovering stalls, garbage and truncated messages, frames cut off mid-message,
/// stale versions, restarts, misbehaving reconnects). Evaluator threads evaluate all along. After every fault the
/// store must converge to exactly the server's state; at the end nothing may have failed, thrown or leaked.
/// </summary>
/// <remarks>
/// <para>Time (reconnect backoff, pings, liveness) runs on a <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>
/// shared with the server, advanced in 250 ms steps while the driver waits for convergence: time-to-converge is
/// reported both in that fake time and in wall time.</para>
/// <para>Reproduce with <c>FEATUREFLAGS_CHAOS_SEED=&lt;seed printed in the output&gt;</c>; a soak run with
/// <c>FEATUREFLAGS_CHAOS_CYCLES=2000</c>. The thread scheduling is not seeded, so a seed reproduces the sequence of
/// faults and changes, not every interleaving.</para>
/// </remarks>
[Collection(StressTests.Name)]
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int DefaultCycles = 80;
    private const int EvaluatorThreads = 2;
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ConvergeWallTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Threads the runtime starts lazily and keeps (background GC, tiered compilation, timers) may appear during the run;
    /// a thread leaked per session would show as one per reconnect (80+ in the default run), far above this.
    /// </summary>
    private const int ThreadTolerance = 4;

    [Fact]
    [Trait("Conformance", "SYNC-04")]
    [Trait("Conformance", "API-03")]
    public async Task Chaos_FaultsWhileFlagsChange_StoreConvergesExactlyAndNothingFailsOrLeaks()
    {
        var seed = EnvInt("FEATUREFLAGS_CHAOS_SEED") ?? Random.Shared.Next();
        var cycles = EnvInt("FEATUREFLAGS_CHAOS_CYCLES") ?? DefaultCycles;
        await using var h = await SyncHarness.CreateAsync(ChaosOptions);
        await RunAsync(h, seed, cycles, checkSockets: true);
    }

    /// <summary>
    /// The same run with <c>DataSync = Auto</c>: a proxy that refuses WebSockets for a while is one of the faults, so the
    /// client fails over to polling and back mid-run, and must still converge exactly after every fault. Sockets are
    /// not counted at the end: the polling HttpClient's pool (IHttpClientFactory) keeps idle connections for its handler
    /// lifetime by design; the streaming run above proves the session code leaks none.
    /// </summary>
    [Fact]
    [Trait("Conformance", "SYNC-07")]
    public async Task Chaos_Auto_FaultsAndAProxyThatRefusesWebSockets_StoreConvergesExactly()
    {
        var seed = EnvInt("FEATUREFLAGS_CHAOS_SEED") ?? Random.Shared.Next();
        var cycles = EnvInt("FEATUREFLAGS_CHAOS_CYCLES") ?? DefaultCycles / 2;
        await using var h = await Failover.AutoHarness.CreateAsync(o =>
        {
            ChaosOptions(o);
            o.Polling.Interval = TimeSpan.FromSeconds(5);
            o.Failover.ProbeInterval = TimeSpan.FromSeconds(10);
            o.Failover.MaxProbeInterval = TimeSpan.FromSeconds(20);
            o.Failover.SwitchBackAfter = TimeSpan.FromSeconds(2);
        });
        await RunAsync(h, seed, cycles, checkSockets: false);
        output.WriteLine($"transport switches: {h.Source.Switches}, now {h.Transport}");
        foreach (var record in h.Logs.GetSnapshot().Where(r => r.Id.Id is >= 2110 and <= 2112))
        {
            output.WriteLine($"  {record.Timestamp:HH:mm:ss.fff} {record.Id.Id} {record.Message}");
        }
    }

    private static void ChaosOptions(FeatureFlagsOptions o)
    {
        o.Streaming.PingInterval = TimeSpan.FromSeconds(5); // liveness deadline 15 s of fake time
        o.Streaming.MaxReconnectDelay = TimeSpan.FromSeconds(5);
        o.Streaming.ConnectTimeout = TimeSpan.FromSeconds(30); // fake time races real connects: keep it out of the way
    }

    private async Task RunAsync(DataSystemHarness h, int seed, int cycles, bool checkSockets)
    {
        output.WriteLine($"chaos seed {seed} (FEATUREFLAGS_CHAOS_SEED), {cycles} cycles (FEATUREFLAGS_CHAOS_CYCLES)");
        var rng = new Random(seed);
        var watch = new ExceptionWatch();
        h.Server.TokenExpiry = TimeSpan.FromDays(1); // the token's fake-clock age is not what this test is about
        var world = new ChaosWorld(h.Server, rng);
        world.Seed();

        var baseline = ResourceCounts.Take();
        await h.StartAndSyncAsync();
        var evaluators = new EvaluatorPool(h.Store, h.Client, world.FlagKeys, EvaluatorThreads);
        evaluators.Start();

        var records = new List<FaultRecord>(cycles);
        var run = Stopwatch.StartNew();
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            for (var i = rng.Next(0, 4); i > 0; i--)
            {
                await world.ChangeAsync();
            }

            var fault = (ChaosFault)rng.Next(Enum.GetValues<ChaosFault>().Length);
            await InjectAsync(h, world, rng, fault);

            // Measured from the moment the fault is in effect (for an outage or a pause: from its end).
            var fakeStart = h.Time.GetUtcNow();
            var wallStart = Stopwatch.GetTimestamp();

            // At least one change after every fault: converging means catching up, not just keeping what was there.
            for (var i = rng.Next(1, 3); i > 0; i--)
            {
                await world.ChangeAsync();
            }

            await DriveUntilConvergedAsync(h, world, $"seed {seed}, cycle {cycle}, fault {fault}");
            records.Add(new FaultRecord(fault, h.Time.GetUtcNow() - fakeStart, Stopwatch.GetElapsedTime(wallStart)));
        }

        run.Stop();
        var evaluation = await evaluators.StopAsync();

        // The final state: exactly the server's, entity by entity and evaluated for a set of users.
        Assert.Equal(string.Empty, StoreDiff(h.Store.Current, world.ServerState()));
        AssertSameEvaluations(h, world);

        // Shutdown leaves nothing behind.
        using (var bound = new CancellationTokenSource(Bounded))
        {
            await h.Service.StopAsync(bound.Token);
        }

        Assert.True(h.Service.Loop!.IsCompleted, "the sync loop is still running after StopAsync");
        await WaitUntilAsync(() => h.Server.OpenConnections == 0, "the server to see every connection end");
        if (checkSockets)
        {
            await WaitUntilAsync(() => ResourceCounts.OpenTcpConnections(h.Server.Port) == 0, "no open TCP connection to the server's port");
        }

        var leaks = await WaitForNoLeaksAsync(baseline);
        var exceptions = watch.Stop();

        Report(seed, records, run.Elapsed, evaluation, h.Server.ConnectionCount, baseline, leaks, exceptions);
        Assert.Equal(cycles, records.Count);
        Assert.True(evaluation.Failures.Count == 0, $"{evaluation.FailureCount} failed evaluations, e.g.:\n{string.Join("\n", evaluation.Failures)}");
        Assert.All(evaluation.PerThread, n => Assert.True(n > 0, "an evaluator thread made no progress"));
        Assert.True(exceptions.Count == 0, $"exceptions seen by the process hooks:\n{string.Join("\n\n", exceptions)}");
        Assert.True(leaks.NonPoolThreads <= baseline.NonPoolThreads + ThreadTolerance, $"threads: {baseline.NonPoolThreads} before, {leaks.NonPoolThreads} after (thread-pool threads excluded)");
        Assert.True(!checkSockets || leaks.SocketDescriptors <= baseline.SocketDescriptors, $"socket descriptors: {baseline.SocketDescriptors} before, {leaks.SocketDescriptors} after");
    }

    private static async Task InjectAsync(DataSystemHarness h, ChaosWorld world, Random rng, ChaosFault fault)
    {
        var ct = TestContext.Current.CancellationToken;
        var server = h.Server;
        switch (fault)
        {
            case ChaosFault.Close1000:
                await server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                break;
            case ChaosFault.Close1011:
                await server.CloseAllAsync(WebSocketCloseStatus.InternalServerError, FakeFeatBitServer.ServiceUnavailableDescription, ct);
                break;
            case ChaosFault.DropTcp:
                server.AbortAll();
                break;
            case ChaosFault.StallDead:
                // The connection stays open but the server never sends again: only the liveness check gets out.
                server.StallOpenConnections();
                break;
            case ChaosFault.StallThenResume:
                server.PauseSends();
                for (var i = rng.Next(1, 4); i > 0; i--)
                {
                    await world.ChangeAsync();
                }

                // Shorter than the liveness deadline (15 s) in most cycles; when a late pong makes it trip, the client
                // reconnects instead, which converges as well.
                await AdvanceAsync(h, TimeSpan.FromMilliseconds(rng.Next(0, 8_000)));
                await server.ResumeSendsAsync(ct);
                break;
            case ChaosFault.GarbageMessages:
                await server.SendRawAsync("not json {", ct);
                await server.SendRawAsync("""{"messageType":"data-sync","data":{"eventType":"patch","featureFlags":"oops"}}""", ct);
                await server.SendRawAsync("""{"messageType":"surprise","data":{}}""", ct);
                // A message cut short (sent as a whole frame), then the change it carried, whole.
                var cut = world.PatchMessageForNextChange(out var apply);
                await server.SendRawAsync(cut[..rng.Next(1, cut.Length - 1)], ct);
                apply();
                await server.SendRawAsync(cut, ct);
                await server.SendFragmentedAsync(world.PatchMessageOfCurrent(), rng.Next(2, 6), ct);
                break;
            case ChaosFault.TruncatedFrameThenDrop:
                // The server has the change; the message carrying it is cut off mid-frame and the connection dropped.
                var message = world.PatchMessageForNextChange(out var upsert);
                upsert();
                await server.SendTruncatedThenAbortAsync(message, rng.Next(1, Encoding.UTF8.GetByteCount(message) - 1), ct);
                break;
            case ChaosFault.StaleVersions:
                foreach (var stale in world.StaleMessages(h.Store.Current, rng.Next(1, 4)))
                {
                    await server.SendRawAsync(stale, ct);
                }

                break;
            case ChaosFault.Restart:
                await server.StopAsync();
                for (var i = rng.Next(0, 3); i > 0; i--)
                {
                    await world.ChangeAsync();
                }

                await AdvanceAsync(h, TimeSpan.FromMilliseconds(rng.Next(0, 10_000)));
                await server.RestartAsync(ct);
                break;
            case ChaosFault.LongOutage:
                // Longer than FullResyncAfterOutage (5 min): the reconnect asks for everything (cursor 0, a full sync),
                // and, as the real server does under load, a change is pushed before the full reply, which is older.
                await server.CrashAsync();
                server.EnqueueRacePush(world.NextFlagChange());
                for (var i = rng.Next(1, 4); i > 0; i--)
                {
                    await world.ChangeAsync();
                }

                await AdvanceAsync(h, TimeSpan.FromMinutes(6), TimeSpan.FromSeconds(5));
                await server.RestartAsync(ct);
                break;
            case ChaosFault.HealthyThenDrop:
                // A session healthy for longer than HealthyConnectionTime (5 s): the quick reconnect phase.
                await AdvanceAsync(h, TimeSpan.FromSeconds(65), TimeSpan.FromSeconds(1));
                server.AbortAll();
                break;
            case ChaosFault.ReconnectGets1011:
                server.EnqueueScript(ConnectionScript.CloseWith1011AfterAccept);
                server.EnqueueScript(ConnectionScript.DropAfterAccept);
                await server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                break;
            case ChaosFault.ReconnectGetsGarbageOrEarlyClose:
                server.EnqueueScript(rng.Next(2) == 0 ? ConnectionScript.SendGarbageThenNormal : ConnectionScript.CloseWith1000AfterFirstSync);
                server.AbortAll();
                break;
            case ChaosFault.ReconnectRacesAPush:
                // The real server: a push arrives before the reply to our request, and the reply is older.
                server.EnqueueRacePush(world.NextFlagChange());
                server.DropAll();
                break;
            case ChaosFault.CrashNoCloseFrame:
                // SIGTERM or a crash: TCP ends with no close frame; back later on the same port.
                await server.CrashAsync();
                await AdvanceAsync(h, TimeSpan.FromMilliseconds(rng.Next(0, 6_000)));
                await server.RestartAsync(ct);
                break;
            case ChaosFault.DatabaseRestart:
                // The first connection after the server's database restarts is closed with 1011.
                server.SimulateDatabaseRestart();
                server.DropAll();
                break;
            case ChaosFault.ProxyRefusesWebSockets:
                // A proxy in front of the server stops passing WebSocket upgrades for up to 90 s (Auto polls meanwhile;
                // Streaming waits it out on its paced backoff), then passes them again.
                server.RefuseWebSocketUpgrades = true;
                server.DropAll();
                await AdvanceAsync(h, TimeSpan.FromMilliseconds(rng.Next(0, 90_000)));
                server.RefuseWebSocketUpgrades = false;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    /// <summary>Advances fake time in steps, giving the client a moment of real time per step.</summary>
    private static async Task AdvanceAsync(DataSystemHarness h, TimeSpan total, TimeSpan? step = null)
    {
        for (var advanced = TimeSpan.Zero; advanced < total; advanced += step ?? Step)
        {
            h.Time.Advance(step ?? Step);
            await Task.Delay(TimeSpan.FromMilliseconds(3), TimeProvider.System);
        }
    }

    private static async Task DriveUntilConvergedAsync(DataSystemHarness h, ChaosWorld world, string where)
    {
        var wall = Stopwatch.StartNew();
        while (true)
        {
            if (h.Status.Current.State == FeatureFlagsState.Ready
                && h.Store.Version == h.Server.LatestVersion
                && StoreDiff(h.Store.Current, world.ServerState()).Length == 0)
            {
                return;
            }

            if (wall.Elapsed > ConvergeWallTimeout)
            {
                Assert.Fail($"No convergence within {ConvergeWallTimeout} ({where}): status {h.Status.Current.State} ({h.Status.Current.LastError}), " +
                            $"store version {h.Store.Version}, server version {h.Server.LatestVersion}, open connections {h.Server.OpenConnections}, " +
                            $"diff: {StoreDiff(h.Store.Current, world.ServerState())}");
            }

            h.Time.Advance(Step);
            await Task.Delay(TimeSpan.FromMilliseconds(3), TimeProvider.System);
        }
    }

    /// <summary>Every difference between the store's snapshot and the server's state (keys, versions, archived); empty when equal.</summary>
    internal static string StoreDiff(FlagSnapshot snapshot, DataSyncPayloadDto server)
    {
        var diff = new StringBuilder();
        var flags = server.FeatureFlags!.Items;
        foreach (var flag in flags)
        {
            if (!snapshot.Flags.TryGetValue(flag.Key!, out var mine))
            {
                diff.Append(CultureInfo.InvariantCulture, $"flag {flag.Key} missing; ");
            }
            else if (mine.Version != flag.UpdatedAt || mine.IsArchived != flag.IsArchived)
            {
                diff.Append(CultureInfo.InvariantCulture, $"flag {flag.Key} v{mine.Version}/{mine.IsArchived} != v{flag.UpdatedAt}/{flag.IsArchived}; ");
            }
        }

        foreach (var key in snapshot.Flags.Keys.Where(k => !flags.Any(f => f.Key == k)))
        {
            diff.Append(CultureInfo.InvariantCulture, $"flag {key} not on the server; ");
        }

        var segments = server.Segments!.Items;
        foreach (var segment in segments)
        {
            if (!snapshot.Segments.TryGetValue(Guid.Parse(segment.Id!), out var mine))
            {
                diff.Append(CultureInfo.InvariantCulture, $"segment {segment.Id} missing; ");
            }
            else if (mine.Version != segment.UpdatedAt || mine.IsArchived != segment.IsArchived)
            {
                diff.Append(CultureInfo.InvariantCulture, $"segment {segment.Id} v{mine.Version} != v{segment.UpdatedAt}; ");
            }
        }

        if (snapshot.Segments.Count != segments.Count)
        {
            diff.Append(CultureInfo.InvariantCulture, $"{snapshot.Segments.Count} segments in the store, {segments.Count} on the server; ");
        }

        return diff.ToString();
    }

    private static void AssertSameEvaluations(DataSystemHarness h, ChaosWorld world)
    {
        var reference = Fixtures.NewStore();
        reference.Apply(world.ServerState());
        var expected = Fixtures.Client(reference);
        var users = ChaosWorld.SpecialUsers.Concat(Enumerable.Range(0, 60).Select(i => "user-" + i.ToString(CultureInfo.InvariantCulture)))
            .Select(k => FlagUser.Create(k)).ToList();
        foreach (var key in world.FlagKeys)
        {
            foreach (var user in users)
            {
                var want = expected.StringVariationDetail(key, user, "default");
                var got = h.Client.StringVariationDetail(key, user, "default");
                Assert.Equal((want.Value, want.VariationId, want.Kind, want.Reason), (got.Value, got.VariationId, got.Kind, got.Reason));
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var wall = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(wall.Elapsed < Bounded, $"Timed out waiting for {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    /// <summary>Waits (bounded) for threads and descriptors to fall back near the baseline; returns the last counts.</summary>
    private static async Task<ResourceCounts> WaitForNoLeaksAsync(ResourceCounts baseline)
    {
        var wall = Stopwatch.StartNew();
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var now = ResourceCounts.Take();
            if ((now.NonPoolThreads <= baseline.NonPoolThreads + ThreadTolerance && now.SocketDescriptors <= baseline.SocketDescriptors) || wall.Elapsed > Bounded)
            {
                return now;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        }
    }

    private void Report(int seed, List<FaultRecord> records, TimeSpan elapsed, EvaluationSummary evaluation, int connections,
        ResourceCounts baseline, ResourceCounts after, IReadOnlyList<string> exceptions)
    {
        static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);
        static TimeSpan Median(IEnumerable<TimeSpan> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? TimeSpan.Zero : sorted[sorted.Count / 2];
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {records.Count} cycles survived in {elapsed.TotalSeconds:F1} s wall, {connections} connections accepted by the server"));
        output.WriteLine("time to converge after a fault (fake clock ms / wall ms): median, worst");
        foreach (var group in records.GroupBy(r => r.Fault).OrderBy(g => g.Key))
        {
            output.WriteLine($"  {group.Key,-34} x{group.Count(),4}: fake {Ms(Median(group.Select(r => r.Fake))),6} / {Ms(group.Max(r => r.Fake)),6}   wall {Ms(Median(group.Select(r => r.Wall))),5} / {Ms(group.Max(r => r.Wall)),5}");
        }

        if (records.Count > 0)
        {
            output.WriteLine($"  {"all",-34} x{records.Count,4}: fake {Ms(Median(records.Select(r => r.Fake))),6} / {Ms(records.Max(r => r.Fake)),6}   wall {Ms(Median(records.Select(r => r.Wall))),5} / {Ms(records.Max(r => r.Wall)),5}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"evaluations: {evaluation.PerThread.Sum():N0} on {evaluation.PerThread.Count} threads ({string.Join(", ", evaluation.PerThread)}), failed {evaluation.FailureCount}"));
        output.WriteLine($"non-pool threads {baseline.NonPoolThreads} -> {after.NonPoolThreads}, socket descriptors {baseline.SocketDescriptors} -> {after.SocketDescriptors}, exceptions seen {exceptions.Count}");
    }

    private static int? EnvInt(string name)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private enum ChaosFault
    {
        Close1000,
        Close1011,
        DropTcp,
        StallDead,
        StallThenResume,
        GarbageMessages,
        TruncatedFrameThenDrop,
        StaleVersions,
        Restart,
        ReconnectGets1011,
        ReconnectGetsGarbageOrEarlyClose,
        LongOutage,
        HealthyThenDrop,
        ReconnectRacesAPush,
        CrashNoCloseFrame,
        DatabaseRestart,
        ProxyRefusesWebSockets,
    }

    private sealed record FaultRecord(ChaosFault Fault, TimeSpan Fake, TimeSpan Wall);

    private sealed record EvaluationSummary(IReadOnlyList<long> PerThread, long FailureCount, IReadOnlyList<string> Failures);

    /// <summary>Threads that aren't thread-pool threads, and open socket descriptors (Linux; 0 elsewhere), at one moment.</summary>
    private sealed record ResourceCounts(int NonPoolThreads, int SocketDescriptors)
    {
        /// <summary>Descriptors of sockets (<c>socket:[inode]</c>); files (loaded assemblies) are not counted.</summary>
        private static int CountSocketDescriptors()
        {
            if (!Directory.Exists("/proc/self/fd"))
            {
                return 0;
            }

            var count = 0;
            foreach (var fd in Directory.GetFileSystemEntries("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true)
                    {
                        count++;
                    }
                }
                catch (IOException)
                {
                    // Closed while we looked.
                }
            }

            return count;
        }

        public static ResourceCounts Take()
        {
            using var process = Process.GetCurrentProcess();
            var threads = process.Threads.Count - ThreadPool.ThreadCount;
            return new ResourceCounts(threads, CountSocketDescriptors());
        }

        /// <summary>TCP connections from or to <paramref name="port"/> that are not listening or in TIME_WAIT (Linux; 0 elsewhere).</summary>
        public static int OpenTcpConnections(int port)
        {
            var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
            var count = 0;
            foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length > 3 && (parts[1].EndsWith(hexPort, StringComparison.Ordinal) || parts[2].EndsWith(hexPort, StringComparison.Ordinal))
                        && parts[3] is not ("06" or "0A"))
                    {
                        count++;
                    }
                }
            }

            return count;
        }
    }

    /// <summary>
    /// Process-wide hooks: unobserved task exceptions, and first-chance exceptions of the kinds that mean a bug
    /// (null reference, bad index or cast, argument, invalid operation, ...) thrown with our library on the stack.
    /// </summary>
    private sealed class ExceptionWatch
    {
        private static readonly Type[] BugTypes =
        [
            typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(InvalidCastException), typeof(KeyNotFoundException),
            typeof(ArgumentException), typeof(InvalidOperationException), typeof(FormatException), typeof(OverflowException),
            typeof(DivideByZeroException), typeof(NotSupportedException),
        ];

        private readonly List<string> _seen = [];

        public ExceptionWatch()
        {
            TaskScheduler.UnobservedTaskException += OnUnobserved;
            AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
        }

        public IReadOnlyList<string> Stop()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChance;
            lock (_seen)
            {
                return [.. _seen];
            }
        }

        private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            lock (_seen)
            {
                _seen.Add("unobserved task exception: " + e.Exception);
            }
        }

        private void OnFirstChance(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            var type = e.Exception.GetType();
            if (type == typeof(ObjectDisposedException) || !Array.Exists(BugTypes, t => t.IsAssignableFrom(type)))
            {
                return;
            }

            var stack = Environment.StackTrace;
            if (stack.Split('\n').Any(l => l.Contains(" FeatureFlags.", StringComparison.Ordinal) && !l.Contains(" FeatureFlags.Tests.", StringComparison.Ordinal)))
            {
                lock (_seen)
                {
                    _seen.Add($"first-chance {type.Name}: {e.Exception.Message}\n{stack}");
                }
            }
        }
    }

    /// <summary>The flags and segments the server changes: every change gets a new, globally increasing version.</summary>
    private sealed class ChaosWorld(FakeFeatBitServer server, Random rng)
    {
        public static readonly string[] SpecialUsers = ["vip-1", "vip-2", "seg-a", "seg-b", "seg-c", "seg-d"];

        private const long V0 = 1_700_000_000_000;
        private const int FlagCount = 10;
        private const int SegmentCount = 3;
        private readonly Dictionary<string, List<JsonObject>> _history = [];
        private long _version = V0;

        public IReadOnlyList<string> FlagKeys { get; } = [.. Enumerable.Range(0, FlagCount).Select(i => "chaos-" + i.ToString("D2", CultureInfo.InvariantCulture))];

        private static string SegmentId(int i) => new Guid(i + 1, 0, 0, new byte[8]).ToString();

        public void Seed()
        {
            for (var s = 0; s < SegmentCount; s++)
            {
                server.UpsertSegment(Remember(SegmentId(s), NewSegment(SegmentId(s))));
            }

            foreach (var key in FlagKeys)
            {
                server.UpsertFlag(Remember(key, NewFlag(key, archived: false)));
            }
        }

        /// <summary>One change, upserted and pushed to the serving connections (held while sends are paused).</summary>
        public Task ChangeAsync()
        {
            var (entity, isFlag) = NextChange();
            return isFlag ? server.PushFlagAsync(entity) : server.PushSegmentAsync(entity);
        }

        /// <summary>The push message of a change that is not applied yet; <paramref name="apply"/> upserts it on the server (no push).</summary>
        public string PatchMessageForNextChange(out Action apply)
        {
            var (entity, isFlag) = NextChange();
            apply = () =>
            {
                if (isFlag)
                {
                    server.UpsertFlag(entity);
                }
                else
                {
                    server.UpsertSegment(entity);
                }
            };
            return Patch(isFlag ? [entity] : [], isFlag ? [] : [entity]);
        }

        /// <summary>
        /// A patch re-sending the version of every flag the server holds now (a duplicate: changes nothing). Taken from
        /// the server, not from the changes made here: a change a queued race push carries is not on the server until a
        /// data-sync request sends it, and the server never sends a version it does not hold.
        /// </summary>
        public string PatchMessageOfCurrent()
        {
            var held = JsonNode.Parse(server.FullDataSyncJson())!["data"]!["featureFlags"]!.AsArray();
            return Patch([.. held.Select(f => f!.AsObject())], []);
        }

        /// <summary>Patches with versions older than what the store already holds for that entity: they must be ignored.</summary>
        public IEnumerable<string> StaleMessages(FlagSnapshot store, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var key = FlagKeys[rng.Next(FlagKeys.Count)];
                var held = store.Flags.TryGetValue(key, out var flag) ? flag.Version : 0;
                var older = _history[key].Where(f => VersionOf(f) < held).ToList();
                if (older.Count > 0)
                {
                    yield return Patch([older[rng.Next(older.Count)]], []);
                }

                var segment = SegmentId(rng.Next(SegmentCount));
                var segmentHeld = store.Segments.TryGetValue(Guid.Parse(segment), out var s) ? s.Version : 0;
                var olderSegments = _history[segment].Where(x => VersionOf(x) < segmentHeld).ToList();
                if (olderSegments.Count > 0)
                {
                    yield return Patch([], [olderSegments[rng.Next(olderSegments.Count)]]);
                }
            }
        }

        public DataSyncPayloadDto ServerState() => WireJson.ReadDataSync(Encoding.UTF8.GetBytes(server.FullDataSyncJson()));

        /// <summary>A change of a random flag, remembered but not sent (a race push carries it).</summary>
        public JsonObject NextFlagChange()
        {
            var key = FlagKeys[rng.Next(FlagKeys.Count)];
            return Remember(key, NewFlag(key, archived: false));
        }

        private (JsonObject Entity, bool IsFlag) NextChange()
        {
            var roll = rng.Next(100);
            if (roll < 20)
            {
                var id = SegmentId(rng.Next(SegmentCount));
                return (Remember(id, NewSegment(id)), false);
            }

            var key = FlagKeys[rng.Next(FlagKeys.Count)];
            var archive = roll < 30 && !(_history[key][^1]["isArchived"]?.GetValue<bool>() ?? false);
            return (Remember(key, NewFlag(key, archive)), true);
        }

        private JsonObject Remember(string key, JsonObject entity)
        {
            if (!_history.TryGetValue(key, out var list))
            {
                _history[key] = list = [];
            }

            list.Add(entity);
            return entity;
        }

        /// <summary>
        /// A string flag whose every variation value ends with the flag's own version (<c>kind:version</c>): a reader can
        /// tell from one evaluation whether the value belongs to the flag it read. Targets, a segment rule and a
        /// percentage rollout, sometimes off.
        /// </summary>
        private JsonObject NewFlag(string key, bool archived)
        {
            var version = ++_version;
            var v = version.ToString(CultureInfo.InvariantCulture);
            var split = rng.Next(0, 101) / 100.0;
            var builder = TestFlags.Flag(key)
                .Variation("t", "target:" + v).Variation("s", "segment:" + v).Variation("a", "a:" + v).Variation("b", "b:" + v)
                .Target("t", "vip-1", "vip-2")
                .Rule("in segment", "s", TestFlags.SegmentCondition(TestFlags.InSegment, SegmentId(rng.Next(SegmentCount))))
                .Fallthrough("keyId", false, TestFlags.Slice("a", 0, split), TestFlags.Slice("b", split, 1));
            if (rng.Next(8) == 0)
            {
                builder.Off("b");
            }

            if (archived)
            {
                builder.Archived();
            }

            var dto = builder.Build();
            dto.UpdatedAt = version;
            return (JsonObject)JsonSerializer.SerializeToNode(new List<FlagDto> { dto }, TestWireContext.Default.ListFlagDto)!.AsArray()[0]!.DeepClone();
        }

        private JsonObject NewSegment(string id)
        {
            var version = ++_version;
            var users = new[] { "seg-a", "seg-b", "seg-c", "seg-d", "user-1", "user-2", "user-3" }.Where(_ => rng.Next(2) == 0).ToArray();
            var dto = TestFlags.Segment(id).Included(users).Build();
            dto.UpdatedAt = version;
            return (JsonObject)JsonSerializer.SerializeToNode(new List<SegmentDto> { dto }, TestWireContext.Default.ListSegmentDto)!.AsArray()[0]!.DeepClone();
        }

        private static long VersionOf(JsonObject entity)
            => UnixMillisecondsConverter.TryParse(entity["updatedAt"]!.GetValue<string>(), out var ms) ? ms : 0;

        private static string Patch(JsonObject[] flags, JsonObject[] segments) => new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject
            {
                ["eventType"] = "patch",
                ["featureFlags"] = new JsonArray([.. flags.Select(f => f.DeepClone())]),
                ["segments"] = new JsonArray([.. segments.Select(s => s.DeepClone())]),
            },
        }.ToJsonString();
    }

    /// <summary>
    /// Dedicated threads evaluating every flag for a few users, continuously. An evaluation fails when it throws,
    /// reports an error or a wrong type for a flag the snapshot holds, reports anything but "flag not found" for one it
    /// does not hold, or serves a value whose version is not the version of the flag in the snapshot it read.
    /// </summary>
    private sealed class EvaluatorPool(FlagStore store, FeatureFlagClient client, IReadOnlyList<string> keys, int threads) : IDisposable
    {
        private readonly ManualResetEventSlim _stop = new();
        private readonly List<Thread> _threads = [];
        private readonly long[] _counts = new long[threads];
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failures = new();
        private long _failureCount;

        public void Start()
        {
            for (var t = 0; t < threads; t++)
            {
                var id = t;
                var thread = new Thread(() => Run(id)) { IsBackground = true, Name = "chaos-evaluator-" + id };
                _threads.Add(thread);
                thread.Start();
            }
        }

        public async Task<EvaluationSummary> StopAsync()
        {
            _stop.Set();
            await Task.Run(() =>
            {
                foreach (var thread in _threads)
                {
                    Assert.True(thread.Join(Bounded), "an evaluator thread did not stop");
                }
            });
            Dispose();
            return new EvaluationSummary([.. _counts], Interlocked.Read(ref _failureCount), [.. _failures]);
        }

        public void Dispose() => _stop.Dispose();

        private void Run(int id)
        {
            var users = ChaosWorld.SpecialUsers.Take(3).Append("user-" + id.ToString(CultureInfo.InvariantCulture)).Select(k => FlagUser.Create(k)).ToArray();
            while (!_stop.IsSet)
            {
                try
                {
                    var snapshot = store.Current;
                    foreach (var key in keys)
                    {
                        foreach (var user in users)
                        {
                            Check(snapshot, key, client.Evaluate<string, StringConverter>(snapshot, key, user, "default"));
                            var detail = client.StringVariationDetail(key, user, "default"); // the public path, its own snapshot
                            if (detail.Kind is EvaluationReasonKind.WrongType or EvaluationReasonKind.ClientNotReady
                                || (detail.Kind == EvaluationReasonKind.FlagNotFound && detail.Reason != Reasons.FlagNotFound))
                            {
                                Fail($"{key}: public call returned {detail.Kind} ({detail.Reason})");
                            }

                            _counts[id] += 2;
                        }
                    }

                    if (!client.GetAllFlags(user: users[0]).IsReady)
                    {
                        Fail("GetAllFlags is not ready after the first sync");
                    }
                }
                catch (Exception ex)
                {
                    Fail("threw " + ex);
                }

                _stop.Wait(TimeSpan.FromMilliseconds(1)); // two cores: leave room for the sync, the server and the driver
            }
        }

        private void Check(FlagSnapshot snapshot, string key, EvaluationDetail<string> detail)
        {
            if (!snapshot.TryGetLiveFlag(key, out var flag))
            {
                if (detail.Kind != EvaluationReasonKind.FlagNotFound || detail.Reason != Reasons.FlagNotFound)
                {
                    Fail($"{key} (not live): {detail.Kind} ({detail.Reason})");
                }

                return;
            }

            var colon = detail.Value.LastIndexOf(':');
            var ok = detail.Kind is EvaluationReasonKind.Off or EvaluationReasonKind.Fallthrough or EvaluationReasonKind.TargetMatch or EvaluationReasonKind.RuleMatch
                && colon > 0
                && long.TryParse(detail.Value.AsSpan(colon + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var servedVersion)
                && servedVersion == flag.Version;
            if (!ok)
            {
                Fail($"{key} v{flag.Version}: {detail.Kind} ({detail.Reason}) served '{detail.Value}'");
            }
        }

        private void Fail(string what)
        {
            if (Interlocked.Increment(ref _failureCount) <= 10)
            {
                _failures.Enqueue(what);
            }
        }
    }
}
