using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Events;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Sustained load, bounded by iteration counts (never by wall time): 16 evaluating threads while patches stream into
/// the real store, and the event buffer under overload while its sender is stuck. Throughput figures come from the
/// <c>load</c> command of the benchmarks project, not from here.
/// </summary>
[Collection(StressTests.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Readers = 16;
    private static readonly TimeSpan Bounded = TimeSpan.FromMinutes(2);

    [Fact]
    [Trait("Conformance", "STORE-04")]
    [Trait("Conformance", "API-03")]
    public async Task Evaluate_SixteenThreadsWhilePatchesStream_NoTornReadsVersionsMonotonicAndEveryThreadProgresses()
    {
        const int MinPatches = 1_000;
        const long MinEvaluationsPerReader = 30_000;
        const int MaxPatches = 5_000_000; // only reached if some reader is starved
        var store = Fixtures.NewStore();
        store.Apply(LoadWorkload.Initial());
        var client = Fixtures.Client(store);
        var evaluations = new long[Readers * 16]; // one counter per cache line
        var versionsSeen = new long[Readers * 16]; // distinct versions each reader saw, live (one per cache line)
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var writerDone = 0;

        // A reader checks, each round: the two flags every patch sets together agree in one GetAllFlags (one snapshot),
        // their version never goes back, every flag serves a value from the version of the snapshot it was read in, and
        // targeted, segment-rule and rollout users get a real (not error, not default) value through the public API.
        var readers = Enumerable.Range(0, Readers).Select(r => new Thread(() =>
        {
            var lastVersion = 0L;
            var distinct = 0L;
            var round = 0;
            while (Volatile.Read(ref writerDone) == 0)
            {
                var user = LoadWorkload.Users[(r + round++) % LoadWorkload.Users.Length];
                try
                {
                    var all = client.GetAllFlags(user);
                    var a = LoadWorkload.VersionOf(all.GetValue(LoadWorkload.PairA));
                    var b = LoadWorkload.VersionOf(all.GetValue(LoadWorkload.PairB));
                    if (a != b || a < lastVersion)
                    {
                        failures.Enqueue($"reader {r}: {LoadWorkload.PairA} v{a}, {LoadWorkload.PairB} v{b}, last seen v{lastVersion}");
                    }

                    if (a != lastVersion)
                    {
                        Volatile.Write(ref versionsSeen[r * 16], ++distinct);
                    }

                    lastVersion = a;

                    var snapshot = store.Current;
                    foreach (var key in LoadWorkload.FlagKeys)
                    {
                        var detail = client.Evaluate<string, StringConverter>(snapshot, key, user, "default");
                        if (LoadWorkload.VersionOf(detail.Value) != snapshot.Flags[key].Version)
                        {
                            failures.Enqueue($"reader {r}: {key} served '{detail.Value}' from a snapshot at v{snapshot.Flags[key].Version}");
                        }

                        var viaApi = client.StringVariationDetail(key, user, "default");
                        if (viaApi.Kind is EvaluationReasonKind.Error or EvaluationReasonKind.WrongType or EvaluationReasonKind.ClientNotReady || viaApi.Value == "default")
                        {
                            failures.Enqueue($"reader {r}: {key} returned {viaApi.Kind} ({viaApi.Reason})");
                        }
                    }

                    evaluations[r * 16] += LoadWorkload.FlagKeys.Length * 3;
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"reader {r} threw {ex}");
                }

                if (failures.Count > 20)
                {
                    break;
                }
            }
        })
        { IsBackground = true, Name = "load-reader-" + r }).ToList();
        readers.ForEach(t => t.Start());

        // The writer pushes through the path a data-sync takes (parse, apply, notify) until it has sent enough patches
        // and every reader has done its share while patches were streaming and seen the flags change (a reader can do
        // its share between two patches when the writer is descheduled): a starved reader fails the bound instead.
        var patches = await Task.Run(() =>
        {
            var n = 0;
            while (n < MinPatches || Enumerable.Range(0, Readers).Any(r =>
                       Volatile.Read(ref evaluations[r * 16]) < MinEvaluationsPerReader || Volatile.Read(ref versionsSeen[r * 16]) < 2))
            {
                if (n >= MaxPatches || !failures.IsEmpty)
                {
                    break;
                }

                store.Apply(WireJson.ReadDataSync(LoadWorkload.Patch(++n)));
            }

            Volatile.Write(ref writerDone, 1);
            return n;
        }).WaitAsync(Bounded, TestContext.Current.CancellationToken);
        foreach (var reader in readers)
        {
            Assert.True(reader.Join(Bounded), "a reader did not stop");
        }

        var perReader = Enumerable.Range(0, Readers).Select(r => evaluations[r * 16]).ToList();
        var seen = Enumerable.Range(0, Readers).Select(r => versionsSeen[r * 16]).ToList();
        output.WriteLine($"{patches:N0} patches applied; evaluations per reader: min {perReader.Min():N0}, max {perReader.Max():N0}; versions seen per reader: min {seen.Min():N0}");
        Assert.Empty(failures);
        Assert.True(patches < MaxPatches, "a reader made no progress while patches streamed (starved)");
        Assert.All(perReader, n => Assert.True(n >= MinEvaluationsPerReader));
        Assert.All(seen, n => Assert.True(n >= 2, "a reader never saw the flags change"));
        Assert.Equal(LoadWorkload.V0 + patches, store.Current.Flags[LoadWorkload.PairA].Version);
        Assert.Equal(LoadWorkload.V0 + patches, store.Current.Flags[LoadWorkload.PairB].Version);
    }

    [Fact]
    [Trait("Conformance", "DLV-01")]
    public async Task EventBuffer_SixteenThreadsWhileTheSenderIsStuck_StaysBoundedCountsEveryDropAndNeverBlocksCallers()
    {
        const int Capacity = 1_000;
        const int CallsPerThread = 20_000;
        const int BatchSize = 50;
        await using var h = await EventHarness.CreateAsync(
            o =>
            {
                o.Events.BufferCapacity = Capacity;
                o.Events.MaxEventsPerRequest = BatchSize;
            },
            flags: [TestFlags.Flag("f").HitMiss().Fallthrough(TestFlags.HitId).Build()]);
        h.Server.Script([.. Enumerable.Repeat(FakeEventServer.HangStatus, 10)]);
        await h.Processor.StartAsync(TestContext.Current.CancellationToken);

        // One full batch wakes the sender, whose request then never gets an answer (its timeout runs on fake time,
        // which stands still): from here on the sender is stuck and only the callers run.
        var user = FlagUser.Create("warm-up");
        for (var i = 0; i < BatchSize; i++)
        {
            h.Client.Track(user, "warm-up");
        }

        await h.Server.WaitForRequestsAsync(1);

        var maxPending = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxPending = Math.Max(maxPending, h.Processor.Pending);
                Thread.Yield();
            }
        }, TestContext.Current.CancellationToken);
        var producers = Enumerable.Range(0, Readers).Select(p => new Thread(() =>
        {
            var u = FlagUser.Create("user-" + p);
            for (var i = 0; i < CallsPerThread / 2; i++)
            {
                h.Client.Track(u, "click", i);
                _ = h.Client.StringVariation("f", u, "default"); // records an evaluation event
            }
        })
        { IsBackground = true }).ToList();
        producers.ForEach(t => t.Start());

        // Bounded, generous: a caller that blocked on the stuck sender would never finish.
        foreach (var producer in producers)
        {
            Assert.True(await Task.Run(() => producer.Join(Bounded)), "a caller blocked while the event sender was stuck");
        }

        await sampling.CancelAsync();
        await sampler;
        var produced = BatchSize + ((long)Readers * CallsPerThread);

        // Every call returned while the only request the sender made is still unanswered.
        Assert.Single(h.Server.Requests);
        Assert.Equal(0L, h.Processor.Sent);
        Assert.False(h.Processor.Loop!.IsCompleted);
        Assert.InRange(maxPending, 0, Capacity);
        Assert.Equal(Capacity, h.Processor.Pending);
        Assert.Equal(produced - BatchSize - Capacity, h.Processor.Dropped); // the batch in flight is neither pending nor dropped

        // The host gives up at once: the stuck batch is counted as failed, and every event is accounted for.
        using (var gaveUp = new CancellationTokenSource())
        {
            await gaveUp.CancelAsync();
            await h.Processor.StopAsync(gaveUp.Token).WaitAsync(Bounded, TestContext.Current.CancellationToken);
        }

        output.WriteLine($"produced {produced:N0}: sent {h.Processor.Sent:N0}, failed {h.Processor.Failed:N0}, dropped {h.Processor.Dropped:N0}, pending {h.Processor.Pending:N0}; max pending sampled {maxPending:N0}");
        Assert.Equal(produced, h.Processor.Sent + h.Processor.Failed + h.Processor.Dropped + h.Processor.Pending);
        Assert.Equal(BatchSize, h.Processor.Failed);
    }
}
