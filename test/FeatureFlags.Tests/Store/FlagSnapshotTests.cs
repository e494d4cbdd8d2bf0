using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Xunit;
using static FeatureFlags.Tests.Store.FlagStoreTests;

namespace FeatureFlags.Tests.Store;

/// <summary>
/// <see cref="FlagSnapshot.Patched"/>: a patch that replaces, inserts, removes or archives flags gives the same live
/// flags, keys and version as a snapshot built from scratch over the same flags, shares what did not change, and
/// never alters the snapshot it started from (readers may still hold it).
/// </summary>
public sealed class FlagSnapshotTests
{
    [Fact]
    public void Patch_ReplacingLiveFlags_CopiesTheFlagsOnce_AndSharesTheKeys()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 1), Flag("b", 2), Flag("c", 3)], []);
        var before = store.Current;
        var (flagsBefore, keysBefore) = (before.LiveFlags.ToArray(), before.LiveKeys.ToArray());

        store.ApplyPatch([Flag("b", 10, value: "new")], []);

        var after = store.Current;
        Assert.Same(before.LiveKeys, after.LiveKeys);
        Assert.NotSame(before.LiveFlags, after.LiveFlags);
        Assert.Same(after.Flags["b"], after.LiveFlags[1]);
        Assert.Equal(10, after.Version);
        AssertUnchanged(before, flagsBefore, keysBefore);
        AssertSameAsFromScratch(after);
    }

    [Fact]
    public void Patch_InsertingFlags_KeepsThemSortedAndTheKeysInStep()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("b", 1), Flag("d", 2)], []);
        var before = store.Current;
        var (flagsBefore, keysBefore) = (before.LiveFlags.ToArray(), before.LiveKeys.ToArray());

        store.ApplyPatch([Flag("e", 5), Flag("a", 3), Flag("c", 4)], []);

        var after = store.Current;
        Assert.Equal(["a", "b", "c", "d", "e"], after.LiveKeys);
        Assert.Equal(after.LiveKeys, after.LiveFlags.Select(f => f.Key));
        Assert.Equal(5, after.Version);
        AssertUnchanged(before, flagsBefore, keysBefore);
        AssertSameAsFromScratch(after);
    }

    [Fact]
    public void Patch_ArchivingFlags_RemovesThemFromTheLiveList_NotFromTheFlags()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 1), Flag("b", 2), Flag("c", 3)], []);
        var before = store.Current;
        var (flagsBefore, keysBefore) = (before.LiveFlags.ToArray(), before.LiveKeys.ToArray());

        store.ApplyPatch([Flag("a", 7, archived: true), Flag("c", 8, archived: true)], []);

        var after = store.Current;
        Assert.Equal(["b"], after.LiveKeys);
        Assert.Same(after.Flags["b"], Assert.Single(after.LiveFlags));
        Assert.True(after.Flags["a"].IsArchived);
        Assert.False(after.TryGetLiveFlag("a", out _));
        Assert.Equal(8, after.Version);
        AssertUnchanged(before, flagsBefore, keysBefore);
        AssertSameAsFromScratch(after);
    }

    [Fact]
    public void Patch_ReplaceInsertAndRemoveTogether_SameAsFromScratch()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 1), Flag("b", 2), Flag("c", 3), Flag("d", 4, archived: true)], []);
        var before = store.Current;
        var (flagsBefore, keysBefore) = (before.LiveFlags.ToArray(), before.LiveKeys.ToArray());

        // b replaced, c archived, d revived (was archived), aa and z inserted.
        store.ApplyPatch([Flag("b", 12), Flag("c", 13, archived: true), Flag("d", 14), Flag("aa", 11), Flag("z", 15)], []);

        var after = store.Current;
        Assert.Equal(["a", "aa", "b", "d", "z"], after.LiveKeys);
        Assert.Equal(15, after.Version);
        AssertUnchanged(before, flagsBefore, keysBefore);
        AssertSameAsFromScratch(after);
    }

    [Fact]
    public void Patch_ArchivedFlagPatchedStillArchived_LeavesTheLiveListAlone()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 1), Flag("b", 2, archived: true)], []);
        var before = store.Current;

        store.ApplyPatch([Flag("b", 9, archived: true)], []);

        Assert.Same(before.LiveFlags, store.Current.LiveFlags);
        Assert.Same(before.LiveKeys, store.Current.LiveKeys);
        Assert.Equal(9, store.Current.Version);
    }

    [Fact]
    public void RandomPatches_AlwaysSameAsFromScratch_AndEarlierSnapshotsNeverChange()
    {
        var random = new Random(19);
        var store = Fixtures.NewStore();
        var version = 1L;
        store.ApplyFull(Enumerable.Range(0, 200).Select(i => Flag($"flag-{i:D3}", version++, archived: i % 7 == 0)).ToList(), []);
        var held = new List<(FlagSnapshot Snapshot, CompiledFlag[] Flags, string[] Keys)>();
        for (var round = 0; round < 300; round++)
        {
            var patch = new List<FlagDto>();
            for (var n = random.Next(1, 6); n > 0; n--)
            {
                // Existing and new keys (some past the end, some between existing ones), live or archived.
                var key = random.Next(3) == 0 ? $"flag-{random.Next(300):D3}x" : $"flag-{random.Next(300):D3}";
                patch.Add(Flag(key, version++, archived: random.Next(4) == 0));
            }

            var before = store.Current;
            held.Add((before, before.LiveFlags.ToArray(), before.LiveKeys.ToArray()));
            store.ApplyPatch(patch, []);
            AssertSameAsFromScratch(store.Current);
        }

        foreach (var (snapshot, flags, keys) in held)
        {
            AssertUnchanged(snapshot, flags, keys);
        }
    }

    [Fact]
    public void FullSnapshot_LiveFlagsSortedOrdinally_WithTheirKeys()
    {
        var store = Fixtures.NewStore();

        store.ApplyFull([Flag("b", 1), Flag("B", 2), Flag("a", 3, archived: true), Flag("é", 4), Flag("_", 5)], []);

        var snapshot = store.Current;
        Assert.Equal(["B", "_", "b", "é"], snapshot.LiveKeys);
        Assert.Equal(snapshot.LiveKeys, snapshot.LiveFlags.Select(f => f.Key));
        Assert.Equal(5, snapshot.Version);
    }

    [Fact]
    public void Compile_RepeatedConditions_OneCompiledInstance_AndProblemsStayWithTheirFlag()
    {
        var json = """
            {"eventType":"full","featureFlags":[
              {"key":"broken","isEnabled":false,"disabledVariationId":"missing","variations":[{"id":"t","value":"true"}],
               "fallthrough":{"variations":[{"id":"t","rollout":[0,1]}]}},
              {"key":"a","isEnabled":true,"variations":[{"id":"t","value":"true"}],
               "rules":[{"name":"r","conditions":[{"property":"country","op":"IsOneOf","value":"[\"us\"]"}],"variations":[{"id":"t","rollout":[0,1]}]}],
               "fallthrough":{"variations":[{"id":"t","rollout":[0,1]}]}},
              {"key":"b","isEnabled":true,"variations":[{"id":"x","value":"1"}],
               "rules":[{"name":"r","conditions":[{"property":"country","op":"IsOneOf","value":"[\"us\"]"}],"variations":[{"id":"x","rollout":[0,1]}]}],
               "fallthrough":{"variations":[{"id":"x","rollout":[0,1]}]}}]}
            """;
        var store = Fixtures.NewStore();

        store.Apply(WireJson.ReadDataSync(System.Text.Encoding.UTF8.GetBytes(json)));

        var flags = store.Current.Flags;
        Assert.Same(flags["a"].Rules[0].Conditions[0], flags["b"].Rules[0].Conditions[0]);
        Assert.NotEmpty(flags["broken"].Problems);
        Assert.Empty(flags["a"].Problems);
        Assert.Empty(flags["b"].Problems);
        Assert.Equal(["t"], flags["a"].Variations.Select(v => v.Id));
        Assert.Equal(["x"], flags["b"].Variations.Select(v => v.Id));
    }

    private static void AssertSameAsFromScratch(FlagSnapshot patched)
    {
        var scratch = new FlagSnapshot(patched.Flags, patched.Segments, isInitialized: true);
        Assert.Equal(scratch.LiveKeys, patched.LiveKeys);
        Assert.Equal(scratch.LiveFlags, patched.LiveFlags);
        Assert.Equal(patched.LiveKeys, patched.LiveFlags.Select(f => f.Key));
        Assert.Equal(scratch.Version, patched.Version);

        // The look-up (FlagKeyIndex) finds every live flag, as the scratch snapshot does, and no archived or absent one.
        foreach (var (key, flag) in patched.Flags)
        {
            Assert.Equal(!flag.IsArchived, patched.TryGetLiveFlag(key, out var found));
            Assert.Same(flag.IsArchived ? null : flag, found);
        }

        Assert.False(patched.TryGetLiveFlag("not-a-flag", out _));
    }

    private static void AssertUnchanged(FlagSnapshot snapshot, CompiledFlag[] flags, string[] keys)
    {
        Assert.Equal(flags, snapshot.LiveFlags);
        Assert.Equal(keys, snapshot.LiveKeys);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(snapshot.TryGetLiveFlag(keys[i], out var found));
            Assert.Same(flags[i], found);
        }
    }
}
