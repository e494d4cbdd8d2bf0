using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Store;

/// <summary>Stress tests: run alone, so their spinning threads neither starve nor are starved by other tests.</summary>
[Collection(StressTests.Name)]
public sealed class FlagStoreConcurrencyTests
{
    [Fact]
    [Trait("Conformance", "STORE-04")]
    [Trait("Conformance", "API-03")]
    public async Task PatchStorm_ConcurrentWritersAndEightReaders_NoTornReadsAndExactFinalState()
    {
        const int Keys = 50;
        const int Writers = 4;
        const int PatchesPerWriter = 400;
        var store = Fixtures.NewStore();
        store.ApplyFull([.. Enumerable.Range(0, Keys).Select(i => FlagStoreTests.Flag($"k{i}", 1, value: "1"))], []);
        var client = Fixtures.Client(store);
        using var stop = new CancellationTokenSource();
        var failures = 0;
        long reads = 0;
        using var readersRunning = new CountdownEvent(8);

        // Every flag serves its own version as its value: a reader that ever sees a value that disagrees with the
        // version of the snapshot it read from, or a version going backwards, saw a torn or out-of-order state.
        var readers = Enumerable.Range(0, 8).Select(r => Task.Run(() =>
        {
            var user = FlagUser.Create($"reader-{r}");
            var lastSeen = new long[Keys];
            var signalled = false;
            while (!stop.IsCancellationRequested)
            {
                var snapshot = store.Current;
                for (var i = 0; i < Keys; i++)
                {
                    var flag = snapshot.Flags[$"k{i}"];
                    var detail = client.Evaluate<string, StringConverter>(snapshot, flag.Key, user, "default");
                    if (detail.Value != flag.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) || flag.Version < lastSeen[i])
                    {
                        Interlocked.Increment(ref failures);
                    }

                    lastSeen[i] = flag.Version;
                    Interlocked.Increment(ref reads);
                }

                if (!signalled)
                {
                    signalled = true;
                    readersRunning.Signal();
                }

                Thread.Yield(); // 8 readers on a 2-core machine must not starve the writers
            }
        })).ToArray();

        Assert.True(readersRunning.Wait(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken), "readers did not start");

        // Writers race on overlapping keys with interleaved versions; the store must keep the highest.
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var p = 0; p < PatchesPerWriter; p++)
            {
                var version = 2 + (p * Writers) + w;
                var key = $"k{(p + w) % Keys}";
                store.ApplyPatch([FlagStoreTests.Flag(key, version, value: version.ToString(System.Globalization.CultureInfo.InvariantCulture))], []);
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);

        Assert.Equal(0, failures);
        Assert.True(reads > Keys);
        for (var i = 0; i < Keys; i++)
        {
            // The highest version any writer sent for this key.
            var expected = Enumerable.Range(0, Writers)
                .SelectMany(w => Enumerable.Range(0, PatchesPerWriter).Where(p => (p + w) % Keys == i).Select(p => 2L + (p * Writers) + w))
                .DefaultIfEmpty(1)
                .Max();
            Assert.Equal(expected, store.Current.Flags[$"k{i}"].Version);
            Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), FlagStoreTests.Value(store, $"k{i}"));
        }
    }
}
