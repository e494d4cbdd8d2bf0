using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The per-rule regex breaker: an attacker who sends inputs crafted against a pattern the non-backtracking engine
/// refuses (here <c>^(?=(a+)+$)</c>, a lookahead around a catastrophic loop) makes the rule run past its match timeout;
/// after 5 timeouts within 10 s the rule is not evaluated for 30 s, its flag returns the caller's default with
/// <c>malformed flag</c>, and warning 1150 is logged once per trip. Time is a <see cref="FakeTimeProvider"/>; the match
/// timeout itself is .NET's (1 ms here), so each timeout costs about 1 ms of real time and nothing asserts durations.
/// </summary>
public sealed class RegexBreakerTests
{
    private const int BreakerOpened = 1150;
    private const string Default = "default";
    private static readonly FlagUser Attacker = FlagUser.Builder("attacker").Custom("input", new string('a', 40) + "!").Build();
    private static readonly FlagUser Ordinary = FlagUser.Builder("ordinary").Custom("input", "aaa").Build();
    private static readonly FlagUser Targeted = FlagUser.Builder("vip").Custom("input", new string('a', 40) + "!").Build();

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<FeatureFlagClient> _logger = new();

    [Fact]
    public void Evaluate_FiveTimeoutsWithinWindow_OpenRuleServesDefaultWithoutMatching_LoggedOncePerTrip()
    {
        var (client, flag) = Create(LookaheadFlag());

        Assert.Equal(TestFlags.Hit, Detail(client, Ordinary).Value);
        for (var i = 0; i < RegexPolicy.DefaultBreakerThreshold; i++)
        {
            AssertMalformed(Detail(client, Attacker));
        }

        // Open: the rule is skipped (no match is run), for the attacker and for everyone its rule would reach...
        Assert.Equal(RegexOutcome.BreakerOpen, Evaluator.Evaluate(flag, Attacker, false).Regex);
        for (var i = 0; i < 20; i++)
        {
            AssertMalformed(Detail(client, Attacker));
        }

        AssertMalformed(Detail(client, Ordinary));

        // ...but not for what comes before the rule (targets), and the trip is logged once.
        Assert.Equal(TestFlags.Miss, Detail(client, Targeted).Value);
        var warning = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == BreakerOpened);
        Assert.Contains("Rule 'pattern' of flag 'f'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("5 times within 00:00:10", warning.Message, StringComparison.Ordinal);
        Assert.Contains("not evaluated for 00:00:30", warning.Message, StringComparison.Ordinal);

        // Still open just before the open time ends; closed after it: the rule is evaluated again.
        _time.Advance(RegexPolicy.DefaultBreakerOpenTime - TimeSpan.FromSeconds(1));
        AssertMalformed(Detail(client, Ordinary));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TestFlags.Hit, Detail(client, Ordinary).Value);

        // A second attack trips it again, logged again.
        for (var i = 0; i < RegexPolicy.DefaultBreakerThreshold; i++)
        {
            AssertMalformed(Detail(client, Attacker));
        }

        Assert.Equal(RegexOutcome.BreakerOpen, Evaluator.Evaluate(flag, Ordinary, false).Regex);
        Assert.Equal(2, _logger.Collector.GetSnapshot().Count(r => r.Id.Id == BreakerOpened));
    }

    [Fact]
    public void Evaluate_TimeoutsSpreadOverMoreThanTheWindow_KeepTheBreakerClosed()
    {
        var (client, flag) = Create(LookaheadFlag());
        var breaker = flag.Rules[0].Breaker!;

        for (var i = 0; i < RegexPolicy.DefaultBreakerThreshold - 1; i++)
        {
            AssertMalformed(Detail(client, Attacker));
        }

        _time.Advance(RegexPolicy.DefaultBreakerWindow + TimeSpan.FromSeconds(1));
        for (var i = 0; i < RegexPolicy.DefaultBreakerThreshold - 1; i++)
        {
            AssertMalformed(Detail(client, Attacker));
        }

        Assert.False(breaker.IsOpen);
        Assert.Equal(TestFlags.Hit, Detail(client, Ordinary).Value);
        AssertMalformed(Detail(client, Attacker));
        Assert.True(breaker.IsOpen);
    }

    [Fact]
    public void Evaluate_RegexInASegmentRule_TripsTheFlagRuleThatUsesTheSegment()
    {
        const string SegmentId = "0779d76b-afc6-4886-ab65-af8c004273ad";
        var segment = TestFlags.Segment(SegmentId).Rule(TestFlags.Condition("input", "MatchRegex", "^(?=(a+)+$)")).Build();
        var flagDto = TestFlags.Flag("f").HitMiss()
            .Rule("in segment", TestFlags.HitId, TestFlags.SegmentCondition(FlagCompiler.InSegmentProperty, SegmentId))
            .Fallthrough(TestFlags.MissId)
            .Build();
        var (client, flag) = Create(flagDto, segment);

        for (var i = 0; i < RegexPolicy.DefaultBreakerThreshold; i++)
        {
            AssertMalformed(Detail(client, Attacker));
        }

        Assert.True(flag.Rules[0].Breaker!.IsOpen);
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == BreakerOpened);
    }

    [Fact]
    public void Compile_BreakerOnlyOnRulesThatRunARegex()
    {
        var flagDto = TestFlags.Flag("f").HitMiss()
            .Rule("plain", TestFlags.HitId, TestFlags.Condition("country", "Equal", "GB"))
            .Rule("regex", TestFlags.HitId, TestFlags.Condition("email", "NotMatchRegex", "@example\\.com$"))
            .Fallthrough(TestFlags.MissId)
            .Build();

        var (_, flag) = Create(flagDto);
        var legacy = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance, RegexPolicy.Legacy(TimeSpan.FromMilliseconds(100)));
        legacy.ApplyFull([flagDto], []);
        Assert.True(legacy.Current.TryGetLiveFlag("f", out var legacyFlag));

        Assert.Equal((false, true), (flag.Rules[0].Breaker is not null, flag.Rules[1].Breaker is not null));
        Assert.All(legacyFlag.Rules, r => Assert.Null(r.Breaker));
    }

    [Fact]
    public void Evaluate_CatastrophicPatternTheEngineAccepts_NeverTimesOutSoNeverTrips()
    {
        var flagDto = TestFlags.Flag("f").HitMiss()
            .Rule("pattern", TestFlags.HitId, TestFlags.Condition("input", "MatchRegex", "^(a+)+$"))
            .Fallthrough(TestFlags.MissId)
            .Build();
        var (client, flag) = Create(flagDto, timeout: TimeSpan.FromSeconds(30));

        for (var i = 0; i < 20; i++)
        {
            var detail = Detail(client, Attacker);
            Assert.Equal((TestFlags.Miss, EvaluationReasonKind.Fallthrough), (detail.Value, detail.Kind));
        }

        Assert.Equal(TestFlags.Hit, Detail(client, Ordinary).Value);
        Assert.False(flag.Rules[0].Breaker!.IsOpen);
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    private (FeatureFlagClient Client, CompiledFlag Flag) Create(FlagDto flag, SegmentDto? segment = null, TimeSpan? timeout = null)
    {
        var options = new FeatureFlagsOptions { Evaluation = { RegexMatchTimeout = timeout ?? TimeSpan.FromMilliseconds(1) } };
        var policy = RegexPolicy.For(options.Evaluation, _time);
        var store = new FlagStore(Options.Create(options), NullLogger<FlagStore>.Instance, policy);
        store.ApplyFull([flag], segment is null ? [] : [segment]);
        Assert.True(store.Current.TryGetLiveFlag(flag.Key!, out var compiled));
        return (new FeatureFlagClient(store, Options.Create(options), logger: _logger), compiled);
    }

    /// <summary>Targets "vip" (miss); a rule whose regex (a lookahead: backtracking engine) matches all-"a" inputs (hit); fallthrough miss.</summary>
    private static FlagDto LookaheadFlag() => TestFlags.Flag("f").HitMiss()
        .Target(TestFlags.MissId, "vip")
        .Rule("pattern", TestFlags.HitId, TestFlags.Condition("input", "MatchRegex", "^(?=(a+)+$)"))
        .Fallthrough(TestFlags.MissId)
        .Build();

    private static EvaluationDetail<string> Detail(FeatureFlagClient client, FlagUser user) => client.StringVariationDetail("f", user, Default);

    private static void AssertMalformed(EvaluationDetail<string> detail)
        => Assert.Equal((Default, EvaluationReasonKind.MalformedFlag, "malformed flag"), (detail.Value, detail.Kind, detail.Reason));
}
