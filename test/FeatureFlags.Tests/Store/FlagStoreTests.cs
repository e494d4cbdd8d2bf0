using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Store;

public sealed class FlagStoreTests
{
    private static readonly Guid SegmentA = Guid.Parse("0779d76b-afc6-4886-ab65-af8c004273ad");

    [Fact]
    public void NewStore_IsEmptyAndNotInitialized()
    {
        var store = Fixtures.NewStore();

        Assert.False(store.IsInitialized);
        Assert.Equal(0, store.Version);
        Assert.Empty(store.FlagKeys);
    }

    [Fact]
    [Trait("Conformance", "STORE-01")]
    public void ApplyFull_ReplacesEverythingRegardlessOfVersions()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 100), Flag("b", 200)], []);

        store.ApplyFull([Flag("b", 50, value: "older-but-full"), Flag("c", 60)], []);

        Assert.True(store.IsInitialized);
        Assert.Equal(["b", "c"], store.FlagKeys);
        Assert.Equal("older-but-full", Value(store, "b"));
        Assert.Equal(60, store.Version);
    }

    [Theory]
    [InlineData(101, true)]
    [InlineData(100, false)]
    [InlineData(99, false)]
    [Trait("Conformance", "STORE-02")]
    public void ApplyPatch_NewerWinsEqualOrOlderIgnored(long version, bool applied)
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 100, value: "v100")], []);

        var result = store.ApplyPatch([Flag("a", version, value: "patched")], []);

        Assert.Equal(applied ? "patched" : "v100", Value(store, "a"));
        Assert.Equal((applied ? 1 : 0, applied ? 0 : 1), (result.Applied, result.Ignored));
        Assert.Equal(applied ? version : 100, store.Version);
    }

    [Fact]
    [Trait("Conformance", "STORE-02")]
    public void ApplyPatch_NewFlag_IsInserted()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 100)], []);

        store.ApplyPatch([Flag("z", 5)], []);

        Assert.Equal(["a", "z"], store.FlagKeys);
        Assert.Equal(100, store.Version);
    }

    [Fact]
    [Trait("Conformance", "STORE-03")]
    public void ArchivedFlag_IsHiddenButItsVersionBlocksOlderUpdatesAndCountsInCursor()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 100), Flag("b", 100)], []);

        store.ApplyPatch([Flag("a", 300, archived: true)], []);
        var olderRevival = store.ApplyPatch([Flag("a", 250)], []);

        Assert.Equal(["b"], store.FlagKeys);
        Assert.False(store.ContainsFlag("a"));
        Assert.Equal(1, olderRevival.Ignored);
        Assert.Equal(300, store.Version);
        var detail = Fixtures.Client(store).StringVariationDetail("a", FlagUser.Create("u"), "default");
        Assert.Equal(("default", EvaluationReasonKind.FlagNotFound, "flag not found"), (detail.Value, detail.Kind, detail.Reason));
        Assert.False(Fixtures.Client(store).GetAllFlags(FlagUser.Create("u")).Flags.ContainsKey("a"));
    }

    [Fact]
    [Trait("Conformance", "STORE-03")]
    public void ArchivedFlag_NewerLiveVersion_RestoresIt()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 300, archived: true)], []);

        store.ApplyPatch([Flag("a", 301, value: "back")], []);

        Assert.Equal("back", Value(store, "a"));
    }

    [Fact]
    [Trait("Conformance", "STORE-06")]
    public void Version_IsMaxOverFlagsAndSegmentsIncludingTombstones()
    {
        var store = Fixtures.NewStore();

        store.ApplyFull([Flag("a", 100)], [Segment(SegmentA, 900, archived: true)]);

        Assert.Equal(900, store.Version);
    }

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void FlagsChanged_AfterPatch_ListsChangedFlagsAndFlagsUsingChangedSegment()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("plain", 1), SegmentFlag("uses-segment", 1, SegmentA)], [Segment(SegmentA, 1, included: "u1")]);
        var seen = new List<(IReadOnlyList<string> Keys, bool Full, string ValueSeen)>();
        store.FlagsChanged += (_, e) => seen.Add((e.FlagKeys, e.IsFullSync, Value(store, "uses-segment", "u2")));

        store.ApplyPatch([], [Segment(SegmentA, 2, included: "u2")]);
        store.ApplyPatch([Flag("plain", 2)], []);
        store.ApplyPatch([Flag("plain", 2)], []); // stale: no notification
        store.Delivered();

        Assert.Collection(
            seen,
            first =>
            {
                Assert.Equal(["uses-segment"], first.Keys);
                Assert.False(first.Full);
                Assert.Equal("in", first.ValueSeen); // the handler sees the committed state
            },
            second => Assert.Equal(["plain"], second.Keys));
    }

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void FlagsChanged_FullSync_ListsAddedChangedAndRemovedOnly()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("same", 1), Flag("changed", 1), Flag("removed", 1)], []);
        FlagsChangedEventArgs? args = null;
        store.FlagsChanged += (_, e) => args = e;

        store.ApplyFull([Flag("same", 1), Flag("changed", 2), Flag("added", 1)], []);
        store.Delivered();

        Assert.NotNull(args);
        Assert.True(args.IsFullSync);
        Assert.Equal(["added", "changed", "removed"], args.FlagKeys.Order(StringComparer.Ordinal));
        Assert.Equal(2, args.Version);
    }

    [Fact]
    [Trait("Conformance", "NOTE-04")]
    public void FlagsChanged_FailingHandler_IsLoggedAndOthersStillRun()
    {
        var logger = new FakeLogger<FlagStore>();
        var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), logger);
        var calls = new List<string>();
        store.FlagsChanged += (_, _) => calls.Add("first");
        store.FlagsChanged += (_, _) => throw new InvalidOperationException("boom");
        store.FlagsChanged += (_, _) => calls.Add("third");

        store.ApplyFull([Flag("a", 1)], []);
        store.Delivered();

        Assert.Equal(["first", "third"], calls);
        var record = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Equal(1006, record.Id.Id);
        Assert.IsType<InvalidOperationException>(record.Exception);
    }

    [Fact]
    public void SegmentPatch_RecompilesDependentFlags()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([SegmentFlag("f", 1, SegmentA)], [Segment(SegmentA, 1, included: "u1")]);
        Assert.Equal("in", Value(store, "f", "u1"));
        Assert.Equal("out", Value(store, "f", "u2"));

        store.ApplyPatch([], [Segment(SegmentA, 2, included: "u2")]);

        Assert.Equal("out", Value(store, "f", "u1"));
        Assert.Equal("in", Value(store, "f", "u2"));
    }

    [Fact]
    [Trait("Conformance", "EVAL-04")]
    public void SegmentArchived_DependentFlagBecomesMalformedNotSilentlyOut()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([SegmentFlag("f", 1, SegmentA)], [Segment(SegmentA, 1, included: "u1")]);

        store.ApplyPatch([], [Segment(SegmentA, 2, archived: true)]);

        var detail = Fixtures.Client(store).StringVariationDetail("f", FlagUser.Create("u1"), "default");
        Assert.Equal(("default", EvaluationReasonKind.MalformedFlag, "malformed flag"), (detail.Value, detail.Kind, detail.Reason));
    }

    [Fact]
    [Trait("Conformance", "INV-02")]
    [Trait("Conformance", "INV-03")]
    public void Apply_EntitiesWithoutKeyOrId_AreSkippedAndCounted()
    {
        var store = Fixtures.NewStore();

        var result = store.ApplyFull([Flag("", 1), Flag("ok", 1)], [new SegmentDto { Id = "not-a-guid" }]);

        Assert.Equal(2, result.Invalid);
        Assert.Equal(["ok"], store.FlagKeys);
    }

    [Fact]
    [Trait("Conformance", "STORE-04")]
    public void Snapshot_HeldByReader_IsNotAffectedByLaterCommits()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Flag("a", 1, value: "one")], []);
        var held = store.Current;

        store.ApplyPatch([Flag("a", 2, value: "two")], []);

        Assert.Equal("one", held.Flags["a"].DisabledVariation!.Value);
        Assert.Equal("two", Value(store, "a"));
    }

    internal static string Value(FlagStore store, string key, string userKey = "u")
        => Fixtures.Client(store).StringVariation(key, FlagUser.Create(userKey), "<none>");

    /// <summary>An off flag serving <paramref name="value"/> (off keeps the tests independent of bucketing).</summary>
    internal static FlagDto Flag(string key, long version, string value = "v", bool archived = false) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Key = key,
        UpdatedAt = version,
        IsArchived = archived,
        IsEnabled = false,
        DisabledVariationId = "off",
        Variations = [new VariationDto { Id = "off", Value = value }],
        Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = "off", Rollout = [0, 1] }] },
    };

    private static FlagDto SegmentFlag(string key, long version, Guid segment) => new()
    {
        Key = key,
        UpdatedAt = version,
        IsEnabled = true,
        Variations = [new VariationDto { Id = "in", Value = "in" }, new VariationDto { Id = "out", Value = "out" }],
        Rules =
        [
            new RuleDto
            {
                Name = "segment",
                Conditions = [new ConditionDto { Property = "User is in segment", Value = $"[\"{segment}\"]" }],
                Variations = [new RolloutVariationDto { Id = "in", Rollout = [0, 1] }],
            },
        ],
        Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = "out", Rollout = [0, 1] }] },
    };

    private static SegmentDto Segment(Guid id, long version, string? included = null, bool archived = false) => new()
    {
        Id = id.ToString(),
        UpdatedAt = version,
        IsArchived = archived,
        Included = included is null ? [] : [included],
    };
}
