using FeatureFlags.Testing.Internal;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>
/// Segments defined in a test and used by flag rules (<see cref="FlagRuleBuilder.InSegment"/>,
/// <see cref="FlagRuleBuilder.NotInSegment"/>), read back through the real store, evaluator, tracker and events.
/// </summary>
public sealed class InMemorySegmentBuilderTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly FlagUser Alice = FlagUser.Create("alice");
    private static readonly FlagUser Bob = FlagUser.Create("bob");
    private static readonly FlagUser Carol = Plan("carol", "premium");
    private static readonly FlagUser Dave = Plan("dave", "premium");
    private static readonly FlagUser Erin = Plan("erin", "basic");
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private static FlagUser Plan(string key, string plan) => FlagUser.Builder(key).Custom("plan", plan).Build();

    private InMemorySegmentBuilder BetaTesters() => _h.Flags.Segment("beta-testers")
        .Include("alice", "bob")
        .Exclude("carol")
        .Rule(r => r.When("plan", RuleOperator.IsOneOf, "premium"));

    private void NewSearchForBetaTesters() => _h.Flags.Flag("new-search").Rule("beta", r => r.InSegment("beta-testers").Serve(true));

    [Fact]
    public void InSegment_IncludedUser_GetsTheRuleValue()
    {
        BetaTesters();
        NewSearchForBetaTesters();

        var detail = _h.Client.BoolVariationDetail("new-search", Alice);

        Assert.True(detail.Value);
        Assert.Equal(EvaluationReasonKind.RuleMatch, detail.Kind);
        Assert.Equal("match rule beta", detail.Reason);
    }

    [Fact]
    public void InSegment_UserMatchingASegmentRule_IsIn_OthersAreNot()
    {
        BetaTesters();
        NewSearchForBetaTesters();

        Assert.True(_h.Client.BoolVariation("new-search", Dave));
        var erin = _h.Client.BoolVariationDetail("new-search", Erin, defaultValue: true);
        Assert.False(erin.Value);
        Assert.Equal(EvaluationReasonKind.Fallthrough, erin.Kind);
    }

    [Fact]
    public void Exclude_UserMatchingASegmentRule_IsNotIn()
    {
        BetaTesters();
        NewSearchForBetaTesters();

        Assert.False(_h.Client.BoolVariation("new-search", Carol, defaultValue: true));
    }

    [Fact]
    public void Include_AfterExclude_TheLastCallWins()
    {
        var segment = BetaTesters();
        NewSearchForBetaTesters();

        segment.Include("carol");
        Assert.True(_h.Client.BoolVariation("new-search", Carol));

        segment.Exclude("alice");
        Assert.False(_h.Client.BoolVariation("new-search", Alice, defaultValue: true));
    }

    [Fact]
    public void ClearUsersAndClearRules_EmptyTheSegment()
    {
        var segment = BetaTesters();
        NewSearchForBetaTesters();

        segment.ClearUsers();
        Assert.False(_h.Client.BoolVariation("new-search", Alice, defaultValue: true));
        Assert.True(_h.Client.BoolVariation("new-search", Carol)); // no longer excluded, and premium

        segment.ClearRules();
        Assert.False(_h.Client.BoolVariation("new-search", Dave, defaultValue: true));
    }

    [Fact]
    public void Rule_NumericConditions_AllMustHold()
    {
        _h.Flags.Segment("adults-nl").Rule(r => r.When("age", RuleOperator.GreaterThanOrEqual, 18).When("country", RuleOperator.Equal, "NL"));
        _h.Flags.Flag("f").Rule(r => r.InSegment("adults-nl").Serve(true));

        Assert.True(_h.Client.BoolVariation("f", FlagUser.Builder("u1").Custom("age", "30").Country("NL").Build()));
        Assert.False(_h.Client.BoolVariation("f", FlagUser.Builder("u2").Custom("age", "30").Country("BE").Build(), defaultValue: true));
        Assert.False(_h.Client.BoolVariation("f", FlagUser.Builder("u3").Custom("age", "12").Country("NL").Build(), defaultValue: true));
    }

    [Fact]
    public void InSegment_SeveralSegments_MatchesUsersInAnyOfThem()
    {
        _h.Flags.Segment("staff").Include("alice");
        _h.Flags.Segment("partners").Include("bob");
        _h.Flags.Flag("ui").ValueForAll("v1").Rule(r => r.InSegment("staff", "partners").Serve("v2"));

        Assert.Equal("v2", _h.Client.StringVariation("ui", Alice, "default"));
        Assert.Equal("v2", _h.Client.StringVariation("ui", Bob, "default"));
        Assert.Equal("v1", _h.Client.StringVariation("ui", Erin, "default"));
    }

    [Fact]
    public void NotInSegment_ServesUsersInNoneOfTheSegments()
    {
        _h.Flags.Segment("staff").Include("alice");
        _h.Flags.Segment("partners").Include("bob");
        _h.Flags.Flag("upsell").Rule(r => r.NotInSegment("staff", "partners").Serve(true));

        Assert.False(_h.Client.BoolVariation("upsell", Alice, defaultValue: true));
        Assert.False(_h.Client.BoolVariation("upsell", Bob, defaultValue: true));
        var erin = _h.Client.BoolVariationDetail("upsell", Erin);
        Assert.True(erin.Value);
        Assert.Equal(EvaluationReasonKind.RuleMatch, erin.Kind);
    }

    [Fact]
    public void Segment_DefinedBeforeTheAppIsBuilt_IsLoadedWithTheFlags()
    {
        var flags = new InMemoryFlags();
        flags.Segment("beta-testers").Include("alice");
        flags.Flag("new-search").Rule(r => r.InSegment("beta-testers").Serve(true));
        using var h = new Harness(flags);

        Assert.True(h.Client.BoolVariation("new-search", Alice));
        Assert.Equal(["beta-testers"], flags.SegmentNames);
    }

    [Fact]
    public void Segment_IdIsAStableGuidPerName()
    {
        using var other = new Harness();
        _h.Flags.Segment("beta-testers").Include("alice");
        other.Flags.Segment("beta-testers").Include("bob");
        other.Flags.Flag("f").Rule(r => r.InSegment("beta-testers").Serve(true));

        var id = SegmentDefinition.IdOf("beta-testers");
        Assert.Equal(id, SegmentDefinition.IdOf("beta-testers"));
        Assert.NotEqual(id, SegmentDefinition.IdOf("staff"));
        Assert.Equal(8, id.Version);
        Assert.True(other.Client.BoolVariation("f", FlagUser.Create("bob")));
        Assert.False(other.Client.BoolVariation("f", FlagUser.Create("alice")));
    }

    [Fact]
    public async Task Change_DuringATest_FiresFlagValueChangedForTheFlagsUsingIt()
    {
        var segment = BetaTesters();
        NewSearchForBetaTesters();
        _h.Flags.Flag("unrelated").On();
        var versionBefore = _h.Store.Version;
        var changed = new TaskCompletionSource<FlagValueChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unrelated = 0;
        using var subscription = _h.Tracker.OnFlagValueChanged("new-search", Bob, e => changed.TrySetResult(e));
        using var other = _h.Tracker.OnFlagChanged("unrelated", _ => unrelated++);

        segment.Exclude("bob");

        var e = await changed.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal("true", e.OldValue);
        Assert.Equal("false", e.NewValue);
        Assert.True(_h.Store.Version > versionBefore);
        Assert.Equal(_h.Store.Version, e.Version);
        Assert.Equal(0, unrelated);
        Assert.False(_h.Client.BoolVariation("new-search", Bob, defaultValue: true));
    }

    [Fact]
    public void Change_StoreReportsTheDependentFlagsOnceTheCallReturns()
    {
        var segment = BetaTesters();
        NewSearchForBetaTesters();
        _h.Flags.Flag("upsell").Rule(r => r.NotInSegment("beta-testers").Serve(true));
        _h.Flags.Flag("unrelated").On();
        var changes = new List<FlagsChangedEventArgs>();
        _h.Store.FlagsChanged += (_, e) => changes.Add(e);

        segment.Include("erin");
        _h.Delivered();

        var change = Assert.Single(changes);
        Assert.Equal(["new-search", "upsell"], change.FlagKeys.Order(StringComparer.Ordinal));
        Assert.False(change.IsFullSync);
    }

    [Fact]
    public void Update_SegmentAndFlagTogether_OneAtomicChange()
    {
        var changes = new List<FlagsChangedEventArgs>();
        _h.Store.FlagsChanged += (_, e) => changes.Add(e);

        _h.Flags.Update(f =>
        {
            f.Segment("beta-testers").Include("alice");
            f.Flag("new-search").Rule(r => r.InSegment("beta-testers").Serve(true));
        });
        _h.Delivered();

        var change = Assert.Single(changes);
        Assert.Equal(["new-search"], change.FlagKeys);
        Assert.True(_h.Client.BoolVariation("new-search", Alice));
    }

    [Fact]
    public void InSegment_UndefinedSegment_ReturnsTheDefaultWithMalformedFlag_UntilItIsDefined()
    {
        _h.Flags.Flag("new-search").ForUser("bob", true).Rule(r => r.InSegment("nobody-defined-this").Serve(true));

        var alice = _h.Client.BoolVariationDetail("new-search", Alice, defaultValue: true);
        Assert.True(alice.Value);
        Assert.Equal(EvaluationReasonKind.MalformedFlag, alice.Kind);
        Assert.Equal("malformed flag", alice.Reason);
        Assert.True(_h.Client.BoolVariation("new-search", Bob)); // targets come before rules: never reaches the segment

        var fired = 0;
        using var subscription = _h.Tracker.OnFlagChanged("new-search", _ => fired++);
        _h.Flags.Segment("nobody-defined-this").Include("alice");
        _h.Delivered();

        Assert.Equal(1, fired);
        var fixedNow = _h.Client.BoolVariationDetail("new-search", Alice);
        Assert.True(fixedNow.Value);
        Assert.Equal(EvaluationReasonKind.RuleMatch, fixedNow.Kind);
    }

    [Fact]
    public void NotInSegment_UndefinedSegment_IsAnErrorNotAMatch()
    {
        _h.Flags.Flag("upsell").Rule(r => r.NotInSegment("missing").Serve(true));

        var detail = _h.Client.BoolVariationDetail("upsell", Erin);

        Assert.False(detail.Value);
        Assert.Equal(EvaluationReasonKind.MalformedFlag, detail.Kind);
    }

    [Fact]
    public void Remove_SegmentStillUsed_FlagReturnsTheDefaultWithMalformedFlagAndIsNotified()
    {
        var segment = BetaTesters();
        NewSearchForBetaTesters();
        var fired = 0;
        using var subscription = _h.Tracker.OnFlagChanged("new-search", _ => fired++);

        Assert.True(segment.Remove());
        _h.Delivered();

        Assert.Equal(1, fired);
        Assert.Empty(_h.Flags.SegmentNames);
        var detail = _h.Client.BoolVariationDetail("new-search", Alice, defaultValue: false);
        Assert.Equal(EvaluationReasonKind.MalformedFlag, detail.Kind);
        Assert.Equal("malformed flag", detail.Reason);
        Assert.False(segment.Remove());

        segment.Include("alice");
        Assert.True(_h.Client.BoolVariation("new-search", Alice));
        Assert.Equal(["beta-testers"], _h.Flags.SegmentNames);
    }

    [Fact]
    public void Reset_RemovesSegments()
    {
        BetaTesters();
        NewSearchForBetaTesters();
        Assert.True(_h.Client.BoolVariation("new-search", Alice));

        _h.Flags.Reset();

        Assert.Empty(_h.Flags.SegmentNames);
        Assert.Empty(_h.Flags.FlagKeys);
        NewSearchForBetaTesters();
        Assert.Equal(EvaluationReasonKind.MalformedFlag, _h.Client.BoolVariationDetail("new-search", Alice).Kind);
    }

    [Fact]
    public void RemoveAll_KeepsSegments()
    {
        BetaTesters();
        NewSearchForBetaTesters();

        _h.Flags.RemoveAll();
        NewSearchForBetaTesters();

        Assert.True(_h.Client.BoolVariation("new-search", Alice));
    }

    [Fact]
    public void Evaluation_ThroughASegmentRule_IsRecorded()
    {
        BetaTesters();
        _h.Flags.Flag("ui").ValueForAll("v1").Rule(r => r.InSegment("beta-testers").Serve("v2")).InExperiment();

        Assert.Equal("v2", _h.Client.StringVariation("ui", Alice, "default"));
        Assert.Equal("v1", _h.Client.StringVariation("ui", Erin, "default"));

        Assert.Collection(
            _h.Flags.Events.Evaluations,
            e =>
            {
                Assert.Equal(("ui", "alice", "v2"), (e.FlagKey, e.UserKey, e.Value));
                Assert.True(e.SendToExperiment);
            },
            e => Assert.Equal(("ui", "erin", "v1"), (e.FlagKey, e.UserKey, e.Value)));
    }

    [Fact]
    public void BadArguments_Throw_AndChangeNothing()
    {
        Assert.ThrowsAny<ArgumentException>(() => _h.Flags.Segment(" "));
        Assert.ThrowsAny<ArgumentException>(() => _h.Flags.Segment("s").Include("alice", " "));
        Assert.ThrowsAny<ArgumentException>(() => _h.Flags.Segment("s").Rule(r => r.When("plan", RuleOperator.IsTrue, "x")));
        Assert.ThrowsAny<ArgumentException>(() => _h.Flags.Flag("f").Rule(r => r.InSegment().Serve(true)));
        Assert.ThrowsAny<ArgumentException>(() => _h.Flags.Flag("f").Rule(r => r.NotInSegment("ok", "").Serve(true)));

        Assert.Empty(_h.Flags.SegmentNames);
        Assert.Empty(_h.Flags.FlagKeys);
    }
}
