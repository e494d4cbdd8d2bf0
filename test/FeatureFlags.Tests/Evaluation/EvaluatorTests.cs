using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The evaluation order, dispatch, rollouts and experiment inclusion of protocol §4.2, §4.6 and §4.7, and the
/// promise that broken flag data yields the caller's default with a "malformed flag" error instead of throwing.
/// </summary>
/// <remarks>
/// Bucket values used below come from protocol §5.2/§5.5 (MD5 of flag key + dispatch value): for flag
/// <c>hello</c>, u1 = 0.24027392361313105, u2 = 0.5251486152410507, u3 = 0.06465095793828368 and the empty
/// dispatch value ("hello" alone) = 0.3300859169103205.
/// </remarks>
public sealed class EvaluatorTests
{
    private const string Hello = "hello";
    private const string Default = "default";
    private const string MalformedFlag = "malformed flag";
    private const double BucketU1 = 0.24027392361313105;
    private const string SegmentId = "0779d76b-afc6-4886-ab65-af8c004273ad";

    private static readonly FlagUser User = FlagUser.Create("user-1");

    // ----- evaluation order -----
    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_FlagOff_BeatsTargetsAndRules()
    {
        var flag = TestFlags.Flag("f").HitMiss().Off(TestFlags.MissId)
            .Target(TestFlags.HitId, "user-1")
            .Rule("everyone", TestFlags.HitId)
            .Fallthrough(TestFlags.HitId)
            .Build();

        var detail = Detail(flag, User);

        Assert.Equal((TestFlags.Miss, TestFlags.MissId, EvaluationReasonKind.Off, "flag off"), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
    }

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_TargetedUser_BeatsRules()
    {
        var flag = TestFlags.Flag("f").HitMiss()
            .Target(TestFlags.MissId, "user-1")
            .Rule("everyone", TestFlags.HitId)
            .Fallthrough(TestFlags.HitId)
            .Build();

        var targeted = Detail(flag, User);
        var other = Detail(flag, FlagUser.Create("user-2"));

        Assert.Equal((TestFlags.Miss, EvaluationReasonKind.TargetMatch, "target match"), (targeted.Value, targeted.Kind, targeted.Reason));
        Assert.Equal((TestFlags.Hit, EvaluationReasonKind.RuleMatch, "match rule everyone"), (other.Value, other.Kind, other.Reason));
    }

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_KeyInTwoTargetLists_FirstListWins()
    {
        var flag = TestFlags.Flag("f").HitMiss()
            .Target(TestFlags.HitId, "a", "user-1")
            .Target(TestFlags.MissId, "user-1", "b")
            .Fallthrough(TestFlags.MissId)
            .Build();

        Assert.Equal(TestFlags.Hit, Detail(flag, User).Value);
        Assert.Equal(TestFlags.Miss, Detail(flag, FlagUser.Create("b")).Value);
    }

    [Fact]
    public void Evaluate_TargetKeys_AreOrdinalCaseSensitive()
    {
        var flag = TestFlags.Flag("f").HitMiss().Target(TestFlags.HitId, "User-1").Fallthrough(TestFlags.MissId).Build();

        Assert.Equal(EvaluationReasonKind.Fallthrough, Detail(flag, User).Kind);
        Assert.Equal(EvaluationReasonKind.TargetMatch, Detail(flag, FlagUser.Create("User-1")).Kind);
    }

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_SeveralMatchingRules_FirstInOrderWins()
    {
        var flag = TestFlags.Flag("f").HitMiss().Variation("v-third", "third")
            .Rule("first", TestFlags.HitId, Equal("plan", "premium"))
            .Rule("second", TestFlags.MissId, Equal("country", "GB"))
            .Rule("third", "v-third")
            .Fallthrough(TestFlags.MissId)
            .Build();

        var both = Detail(flag, FlagUser.Builder("u").Country("GB").Custom("plan", "premium").Build());
        var secondOnly = Detail(flag, FlagUser.Builder("u").Country("GB").Build());
        var neither = Detail(flag, FlagUser.Create("u"));

        Assert.Equal((TestFlags.Hit, "match rule first"), (both.Value, both.Reason));
        Assert.Equal((TestFlags.Miss, "match rule second"), (secondOnly.Value, secondOnly.Reason));
        Assert.Equal(("third", "match rule third"), (neither.Value, neither.Reason));
    }

    [Theory]
    [InlineData("premium", "GB", true)]
    [InlineData("premium", "US", false)]
    [InlineData("free", "GB", false)]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_RuleConditions_AllMustMatch(string plan, string country, bool expected)
    {
        var flag = TestFlags.OneRule("f", Equal("plan", "premium"), Equal("country", "GB"));

        var detail = Detail(flag, FlagUser.Builder("u").Country(country).Custom("plan", plan).Build());

        Assert.Equal(expected ? EvaluationReasonKind.RuleMatch : EvaluationReasonKind.Fallthrough, detail.Kind);
    }

    [Fact]
    public void Evaluate_RuleWithNoConditions_MatchesEveryone()
    {
        var flag = TestFlags.OneRule("f");

        var detail = Detail(flag, User);

        Assert.Equal((TestFlags.Hit, EvaluationReasonKind.RuleMatch, "match rule " + TestFlags.RuleName), (detail.Value, detail.Kind, detail.Reason));
    }

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_NothingMatches_FallsThrough()
    {
        var flag = TestFlags.Flag("f").HitMiss().Target(TestFlags.HitId, "someone-else").Rule("r", TestFlags.HitId, Equal("plan", "premium")).Fallthrough(TestFlags.MissId).Build();

        var detail = Detail(flag, User);

        Assert.Equal((TestFlags.Miss, TestFlags.MissId, EvaluationReasonKind.Fallthrough, "fall through targets and rules"), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
    }

    // ----- dispatch key -----
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [Trait("Conformance", "EVAL-05")]
    public void Evaluate_BlankDispatchKey_HashesUserKey(string? dispatchKey)
    {
        var flag = HelloFlag(dispatchKey, ("A", 0, 0.5), ("B", 0.5, 1));

        Assert.Equal("A", Detail(flag, FlagUser.Create("u1")).Value);
        Assert.Equal("B", Detail(flag, FlagUser.Create("u2")).Value);
        Assert.Equal("A", Detail(flag, FlagUser.Create("u3")).Value);
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void Evaluate_CustomDispatchKey_HashesThatAttribute()
    {
        var flag = HelloFlag("tenant", ("A", 0, 0.5), ("B", 0.5, 1));

        Assert.Equal("B", Detail(flag, FlagUser.Builder("u1").Custom("tenant", "u2").Build()).Value);
        Assert.Equal("A", Detail(flag, FlagUser.Builder("u2").Custom("tenant", "u1").Build()).Value);
    }

    [Fact]
    public void Evaluate_BuiltInDispatchKey_HashesThatAttribute()
    {
        var flag = HelloFlag("name", ("A", 0, 0.5), ("B", 0.5, 1));

        Assert.Equal("B", Detail(flag, FlagUser.Create("u1", "u2")).Value);
        Assert.Equal("A", Detail(flag, FlagUser.Create("u2", "u3")).Value);
    }

    [Fact]
    public void Evaluate_RuleDispatchKey_HashesThatAttribute()
    {
        var flag = TestFlags.Flag(Hello).Variation("A", "A").Variation("B", "B")
            .Rule("split", "tenant", false, [], TestFlags.Slice("A", 0, 0.5), TestFlags.Slice("B", 0.5, 1))
            .Fallthrough("A")
            .Build();

        var detail = Detail(flag, FlagUser.Builder("u1").Custom("tenant", "u2").Build());

        Assert.Equal(("B", EvaluationReasonKind.RuleMatch), (detail.Value, detail.Kind));
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void Evaluate_MissingDispatchAttribute_HashesEmptyValueDeterministically()
    {
        // "hello" + "" -> 0.33008...: only B's [0.3, 0.4] holds it; every user's own key lands elsewhere.
        var flag = HelloFlag("tenant", ("A", 0, 0.3), ("B", 0.3, 0.4), ("C", 0.4, 1));

        foreach (var key in new[] { "u1", "u2", "u3", "k57134" })
        {
            Assert.Equal("B", Detail(flag, FlagUser.Create(key)).Value);
        }

        Assert.Equal("B", Detail(flag, FlagUser.Builder("u2").Custom("tenant", string.Empty).Build()).Value);
        Assert.Equal("C", Detail(HelloFlag(null, ("A", 0, 0.3), ("B", 0.3, 0.4), ("C", 0.4, 1)), FlagUser.Create("u2")).Value);
    }

    // ----- rollout intervals -----
    [Fact]
    public void Evaluate_FullInterval_AlwaysServesThatVariation()
    {
        var flag = HelloFlag(null, ("A", 0, 1), ("B", 0, 1));

        foreach (var key in new[] { "u1", "u2", "u3", "k57134", "x" })
        {
            Assert.Equal("A", Detail(flag, FlagUser.Create(key)).Value);
        }
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void Evaluate_BucketOnUpperBound_IsInsideInterval()
    {
        var flag = HelloFlag(null, ("A", 0, BucketU1), ("B", BucketU1, 1));

        Assert.Equal("A", Detail(flag, FlagUser.Create("u1")).Value);
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void Evaluate_BucketOnLowerBound_IsInsideInterval()
    {
        var flag = HelloFlag(null, ("A", 0, 0.2), ("B", BucketU1, 0.3), ("C", 0.3, 1));

        Assert.Equal("B", Detail(flag, FlagUser.Create("u1")).Value);
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void Evaluate_ZeroWidthAtZero_NeverMatches()
    {
        var flag = HelloFlag(null, ("A", 0, 0), ("B", 0, 1));

        Assert.Equal("B", Detail(flag, FlagUser.Create("u3")).Value);
    }

    [Fact]
    public void Evaluate_NearOneUpperBound_TakesTheWholeRangeShortcut()
    {
        // hello + k57134 -> 0.999993..., above 0.99999, but [0, 0.99999] counts as [0, 1] (protocol §4.6).
        var flag = HelloFlag(null, ("A", 0, 0.99999), ("B", 0.99999, 1));

        Assert.Equal("A", Detail(flag, FlagUser.Create("k57134")).Value);
    }

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Evaluate_RuleRolloutWithGap_IsMalformedAndLaterRulesAreNotTried()
    {
        var flag = TestFlags.Flag(Hello).HitMiss()
            .Rule("gap", null, false, [], TestFlags.Slice(TestFlags.HitId, 0, 0.1))
            .Rule("everyone", TestFlags.HitId)
            .Fallthrough(TestFlags.MissId)
            .Build();

        AssertMalformed(flag, FlagUser.Create("u1"));
        Assert.Equal(EvaluationReasonKind.RuleMatch, Detail(flag, FlagUser.Create("u3")).Kind);
    }

    [Fact]
    public void Evaluate_FallthroughRolloutWithGap_IsMalformed()
        => AssertMalformed(HelloFlag(null, ("A", 0, 0.1), ("B", 0.9, 1)), FlagUser.Create("u2"));

    [Fact]
    public void Evaluate_EmptyFallthroughRollout_IsMalformed()
        => AssertMalformed(TestFlags.Flag("f").HitMiss().Fallthrough(null, false).Build(), User);

    [Fact]
    public void Evaluate_NoFallthrough_IsMalformed()
        => AssertMalformed(TestFlags.Flag("f").HitMiss().Build(), User);

    // ----- sendToExperiment (protocol §5.5) -----
    [Theory]
    [InlineData("u1", "A", false)]
    [InlineData("u2", "B", true)]
    [InlineData("u3", "A", true)]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_ExperimentVectors_Match(string key, string variation, bool sendToExperiment)
    {
        var result = Evaluate(ExperimentFlag(exptIncludeAllTargets: false, includedInExpt: true), FlagUser.Create(key));

        Assert.Equal((variation, EvaluationReasonKind.Fallthrough, sendToExperiment), (result.Variation?.Value, result.Kind, result.SendToExperiment));
    }

    [Theory]
    [InlineData("u1")]
    [InlineData("u2")]
    [InlineData("u3")]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_NotIncludedInExperiment_NeverSends(string key)
        => Assert.False(Evaluate(ExperimentFlag(exptIncludeAllTargets: false, includedInExpt: false), FlagUser.Create(key)).SendToExperiment);

    [Theory]
    [InlineData("u1")]
    [InlineData("u2")]
    [InlineData("u3")]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_ExptIncludeAllTargets_AlwaysSends(string key)
    {
        Assert.True(Evaluate(ExperimentFlag(exptIncludeAllTargets: true, includedInExpt: true), FlagUser.Create(key)).SendToExperiment);
        Assert.True(Evaluate(ExperimentFlag(exptIncludeAllTargets: true, includedInExpt: false), FlagUser.Create(key)).SendToExperiment);
    }

    [Fact]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_FlagOff_NeverSendsToExperiment()
    {
        var flag = TestFlags.Flag(Hello).Variation("A", "A").Variation("B", "B").Off("A").ExptIncludeAllTargets()
            .Fallthrough(null, true, TestFlags.Slice("A", 0, 0.5, 0.25), TestFlags.Slice("B", 0.5, 1, 0.25))
            .Build();

        var result = Evaluate(flag, FlagUser.Create("u2"));

        Assert.Equal((EvaluationReasonKind.Off, false), (result.Kind, result.SendToExperiment));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_TargetedUser_SendsPerExptIncludeAllTargets(bool exptIncludeAllTargets)
    {
        var flag = TestFlags.Flag(Hello).Variation("A", "A").Variation("B", "B").Target("A", "u2").ExptIncludeAllTargets(exptIncludeAllTargets)
            .Fallthrough(null, true, TestFlags.Slice("A", 0, 0.5, 0.25), TestFlags.Slice("B", 0.5, 1, 0.25))
            .Build();

        var result = Evaluate(flag, FlagUser.Create("u2"));

        Assert.Equal((EvaluationReasonKind.TargetMatch, exptIncludeAllTargets), (result.Kind, result.SendToExperiment));
    }

    [Theory]
    [InlineData(true, false, true)]
    [InlineData(false, true, false)]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_RuleMatch_UsesTheRulesOwnIncludedInExpt(bool ruleIncluded, bool fallthroughIncluded, bool expected)
    {
        var flag = TestFlags.Flag(Hello).Variation("A", "A").Variation("B", "B")
            .Rule("split", null, ruleIncluded, [], TestFlags.Slice("A", 0, 0.5, 0.25), TestFlags.Slice("B", 0.5, 1, 0.25))
            .Fallthrough(null, fallthroughIncluded, TestFlags.Slice("A", 0, 1, 1))
            .Build();

        var result = Evaluate(flag, FlagUser.Create("u2"));

        Assert.Equal((EvaluationReasonKind.RuleMatch, "B", expected), (result.Kind, result.Variation?.Value, result.SendToExperiment));
    }

    [Fact]
    [Trait("Conformance", "EVT-05")]
    public void Evaluate_ZeroExptRollout_NeverSends()
    {
        var flag = TestFlags.Flag(Hello).Variation("A", "A").Variation("B", "B")
            .Fallthrough(null, true, TestFlags.Slice("A", 0, 0.5, 0), TestFlags.Slice("B", 0.5, 1, 0))
            .Build();

        Assert.False(Evaluate(flag, FlagUser.Create("u2")).SendToExperiment);
        Assert.False(Evaluate(flag, FlagUser.Create("u3")).SendToExperiment);
    }

    // ----- broken data: caller's default, Error, "malformed flag", never an exception -----
    [Fact]
    public void Evaluate_InvalidRegexPattern_IsMalformed()
        => AssertMalformed(TestFlags.OneRule("f", TestFlags.Condition("keyId", "MatchRegex", "(unclosed")), User);

    [Theory]
    [InlineData("cn,us")]
    [InlineData("\"cn\"")]
    [InlineData("{\"cn\":true}")]
    [InlineData("")]
    public void Evaluate_ListOperandNotAJsonArray_IsMalformed(string value)
    {
        AssertMalformed(TestFlags.OneRule("f", TestFlags.Condition("country", "IsOneOf", value)), User);
        AssertMalformed(TestFlags.OneRule("f", TestFlags.Condition("country", "NotOneOf", value)), User);
    }

    [Theory]
    [InlineData(TestFlags.InSegment)]
    [InlineData(TestFlags.NotInSegment)]
    [Trait("Conformance", "EVAL-04")]
    public void Evaluate_MissingSegment_IsMalformed(string property)
        => AssertMalformed(TestFlags.OneRule("f", TestFlags.SegmentCondition(property, SegmentId)), User);

    [Theory]
    [InlineData(TestFlags.InSegment)]
    [InlineData(TestFlags.NotInSegment)]
    [Trait("Conformance", "EVAL-04")]
    public void Evaluate_ArchivedSegment_IsMalformed(string property)
    {
        var segment = TestFlags.Segment(SegmentId).Included("user-1").Archived().Build();

        AssertMalformed(TestFlags.OneRule("f", TestFlags.SegmentCondition(property, SegmentId)), User, [segment]);
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("[\"not-a-guid\"]")]
    [Trait("Conformance", "EVAL-04")]
    public void Evaluate_SegmentConditionWithBadIds_IsMalformed(string value)
        => AssertMalformed(TestFlags.OneRule("f", TestFlags.Condition(TestFlags.InSegment, null, value)), User);

    [Fact]
    [Trait("Conformance", "EVAL-04")]
    public void Evaluate_BrokenSegmentRule_IsMalformedWhenReached()
    {
        var segment = TestFlags.Segment(SegmentId).Included("included").Rule(TestFlags.Condition("keyId", "MatchRegex", "[")).Build();
        var flag = TestFlags.OneRule("f", TestFlags.SegmentCondition(TestFlags.InSegment, SegmentId));

        AssertMalformed(flag, User, [segment]);
        Assert.Equal(TestFlags.Hit, Detail(flag, FlagUser.Create("included"), [segment]).Value);
    }

    [Fact]
    public void Evaluate_TargetListWithMissingVariation_IsMalformedForTargetedUsersOnly()
    {
        var flag = TestFlags.Flag("f").HitMiss().Target("v-gone", "user-1").Fallthrough(TestFlags.MissId).Build();

        AssertMalformed(flag, User);
        Assert.Equal(TestFlags.Miss, Detail(flag, FlagUser.Create("user-2")).Value);
    }

    [Fact]
    [Trait("Conformance", "EVAL-06")]
    public void Evaluate_RuleWithMissingVariation_IsMalformed()
        => AssertMalformed(TestFlags.Flag("f").HitMiss().Rule("r", "v-gone").Fallthrough(TestFlags.MissId).Build(), User);

    [Fact]
    public void Evaluate_FallthroughWithMissingVariation_IsMalformed()
        => AssertMalformed(TestFlags.Flag("f").HitMiss().Fallthrough("v-gone").Build(), User);

    [Fact]
    public void Evaluate_OffWithMissingDisabledVariation_IsMalformed()
        => AssertMalformed(TestFlags.Flag("f").HitMiss().Off("v-gone").Fallthrough(TestFlags.HitId).Build(), User);

    [Fact]
    public void Evaluate_CatastrophicRegex_AnswersWithoutTimingOut()
    {
        // The non-backtracking engine is linear in the input: the crafted input gets the ordinary answer (no match).
        var options = new FeatureFlagsOptions { Evaluation = { RegexMatchTimeout = TimeSpan.FromSeconds(30) } };
        var flag = TestFlags.OneRule("f", TestFlags.Condition("input", "MatchRegex", "^(a+)+$"));
        var user = FlagUser.Builder("u").Custom("input", new string('a', 60) + "!").Build();

        var detail = TestFlags.Client(TestFlags.Store(options, [flag]), options).StringVariationDetail("f", user, Default);

        Assert.NotEqual(EvaluationReasonKind.MalformedFlag, detail.Kind);
        Assert.Equal(EvaluationReasonKind.Fallthrough, detail.Kind);
    }

    [Fact]
    public void Evaluate_CatastrophicRegexOnTheBacktrackingEngine_TimesOutAsMalformed()
    {
        // A lookahead keeps the pattern on the backtracking engine, where the match timeout applies.
        var options = new FeatureFlagsOptions { Evaluation = { RegexMatchTimeout = TimeSpan.FromMilliseconds(1) } };
        var flag = TestFlags.OneRule("f", TestFlags.Condition("input", "MatchRegex", "^(?=(a+)+$)"));
        var user = FlagUser.Builder("u").Custom("input", new string('a', 30) + "!").Build();

        var detail = TestFlags.Client(TestFlags.Store(options, [flag]), options).StringVariationDetail("f", user, Default);

        Assert.Equal((Default, string.Empty, EvaluationReasonKind.MalformedFlag, MalformedFlag), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
    }

    [Fact]
    public void Evaluate_BrokenRuleNotReached_DoesNotAffectResult()
    {
        var flag = TestFlags.Flag("f").HitMiss()
            .Rule("first", TestFlags.HitId, Equal("plan", "premium"))
            .Rule("broken", TestFlags.MissId, TestFlags.Condition("keyId", "MatchRegex", "(unclosed"))
            .Fallthrough(TestFlags.MissId)
            .Build();

        var matchedFirst = Detail(flag, FlagUser.Builder("u").Custom("plan", "premium").Build());

        Assert.Equal((TestFlags.Hit, EvaluationReasonKind.RuleMatch, "match rule first"), (matchedFirst.Value, matchedFirst.Kind, matchedFirst.Reason));
        AssertMalformed(flag, FlagUser.Create("u"));
    }

    [Fact]
    public void Evaluate_BrokenConditionAfterFailingCondition_IsShortCircuited()
    {
        var flag = TestFlags.OneRule("f", Equal("plan", "premium"), TestFlags.Condition("keyId", "MatchRegex", "(unclosed"));

        Assert.Equal(EvaluationReasonKind.Fallthrough, Detail(flag, FlagUser.Create("u")).Kind);
        AssertMalformed(flag, FlagUser.Builder("u").Custom("plan", "premium").Build());
    }

    [Fact]
    public void Evaluate_BrokenRule_DoesNotAffectTargetedUsers()
    {
        var flag = TestFlags.Flag("f").HitMiss().Target(TestFlags.HitId, "user-1")
            .Rule("broken", TestFlags.MissId, TestFlags.Condition("country", "IsOneOf", "cn,us"))
            .Fallthrough(TestFlags.MissId)
            .Build();

        Assert.Equal(EvaluationReasonKind.TargetMatch, Detail(flag, User).Kind);
        AssertMalformed(flag, FlagUser.Create("user-2"));
    }

    [Fact]
    [Trait("Conformance", "EVAL-07")]
    public void GetAllFlags_OneBrokenFlag_DoesNotAffectOthers()
    {
        var broken = TestFlags.OneRule("broken", TestFlags.Condition("keyId", "MatchRegex", "(unclosed"));
        var healthy = TestFlags.Flag("healthy").HitMiss().Fallthrough(TestFlags.HitId).Build();
        var missingSegment = TestFlags.OneRule("segment", TestFlags.SegmentCondition(TestFlags.InSegment, SegmentId));
        var client = TestFlags.Client(TestFlags.Store(broken, healthy, missingSegment));

        var all = client.GetAllFlags(User);

        Assert.True(all.IsReady);
        Assert.Equal(["broken", "healthy", "segment"], all.Flags.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((EvaluationReasonKind.MalformedFlag, MalformedFlag, string.Empty), (all.Flags["broken"].Kind, all.Flags["broken"].Reason, all.Flags["broken"].VariationId));
        Assert.Equal((EvaluationReasonKind.MalformedFlag, MalformedFlag), (all.Flags["segment"].Kind, all.Flags["segment"].Reason));
        Assert.Equal((TestFlags.Hit, EvaluationReasonKind.Fallthrough), (all.Flags["healthy"].Value, all.Flags["healthy"].Kind));
        Assert.Equal(TestFlags.Hit, client.StringVariation("healthy", User, Default));
    }

    private static ConditionDto Equal(string property, string value) => TestFlags.Condition(property, "Equal", value);

    /// <summary>Flag <c>hello</c> whose fallthrough splits into the given (variation, min, max) slices.</summary>
    private static FlagDto HelloFlag(string? dispatchKey, params (string Variation, double Min, double Max)[] slices)
    {
        var builder = TestFlags.Flag(Hello);
        foreach (var (variation, _, _) in slices.DistinctBy(s => s.Variation))
        {
            builder.Variation(variation, variation);
        }

        return builder.Fallthrough(dispatchKey, false, [.. slices.Select(s => TestFlags.Slice(s.Variation, s.Min, s.Max))]).Build();
    }

    private static FlagDto ExperimentFlag(bool exptIncludeAllTargets, bool includedInExpt)
        => TestFlags.Flag(Hello).Variation("A", "A").Variation("B", "B").ExptIncludeAllTargets(exptIncludeAllTargets)
            .Fallthrough(null, includedInExpt, TestFlags.Slice("A", 0, 0.5, 0.25), TestFlags.Slice("B", 0.5, 1, 0.25))
            .Build();

    private static EvalResult Evaluate(FlagDto flag, FlagUser user)
    {
        var store = TestFlags.Store(flag);
        return Evaluator.Evaluate(store.Current.Flags[flag.Key!], user, false);
    }

    private static EvaluationDetail<string> Detail(FlagDto flag, FlagUser user, SegmentDto[]? segments = null)
        => TestFlags.Client(TestFlags.Store(null, [flag], segments)).StringVariationDetail(flag.Key!, user, Default);

    private static void AssertMalformed(FlagDto flag, FlagUser user, SegmentDto[]? segments = null)
    {
        var store = TestFlags.Store(null, [flag], segments);
        var client = TestFlags.Client(store);

        var detail = client.StringVariationDetail(flag.Key!, user, Default);
        var boolDetail = client.BoolVariationDetail(flag.Key!, user, true);
        var result = Evaluator.Evaluate(store.Current.Flags[flag.Key!], user, false);

        Assert.Equal((Default, string.Empty, EvaluationReasonKind.MalformedFlag, MalformedFlag), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
        Assert.True(detail.IsDefaultValue);
        Assert.Equal((true, EvaluationReasonKind.MalformedFlag), (boolDetail.Value, boolDetail.Kind));
        Assert.Equal((null, EvaluationReasonKind.MalformedFlag, MalformedFlag, false), (result.Variation, result.Kind, result.ReasonFor(store.Current.Flags[flag.Key!]), result.SendToExperiment));
    }
}
