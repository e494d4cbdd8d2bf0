using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Telemetry.Internal;
using FeatureFlags.Tests.Support;
using Xunit;
using static FeatureFlags.Tests.Support.TestFlags;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// OpenFeature's reason for each outcome, from the one mapping that the evaluation API (<c>RemoteEvaluation.Reason</c>,
/// upper case) and telemetry (<c>feature_flag.result.reason</c>, lower case) both name.
/// </summary>
public sealed class OpenFeatureReasonsTests
{
    private static readonly CompiledFlag StaticFlag = Compile(Flag("static").HitMiss().Fallthrough(HitId).Build());
    private static readonly CompiledFlag TargetedFlag = Compile(Flag("targeted").HitMiss().Target(HitId, "alice").Fallthrough(MissId).Build());

    public static TheoryData<EvaluationReasonKind, bool, bool, string> Outcomes => new()
    {
        { EvaluationReasonKind.Off, false, false, "DISABLED" },
        { EvaluationReasonKind.Off, true, false, "DISABLED" },
        { EvaluationReasonKind.LocalOverride, false, false, "STATIC" },
        { EvaluationReasonKind.TargetMatch, false, false, "TARGETING_MATCH" },
        { EvaluationReasonKind.RuleMatch, false, false, "TARGETING_MATCH" },
        { EvaluationReasonKind.RuleMatch, false, true, "SPLIT" },
        { EvaluationReasonKind.Fallthrough, false, false, "DEFAULT" },
        { EvaluationReasonKind.Fallthrough, true, false, "STATIC" },
        { EvaluationReasonKind.Fallthrough, false, true, "SPLIT" },
        { EvaluationReasonKind.Fallthrough, true, true, "SPLIT" },
        { EvaluationReasonKind.ClientNotReady, false, false, "ERROR" },
        { EvaluationReasonKind.FlagNotFound, true, false, "ERROR" },
        { EvaluationReasonKind.WrongType, false, false, "ERROR" },
        { EvaluationReasonKind.Error, false, false, "ERROR" },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Outcome_HasTheSameReasonInTheApiAndInTelemetry(EvaluationReasonKind kind, bool isStatic, bool split, string expected)
    {
        var flag = isStatic ? StaticFlag : TargetedFlag;

        Assert.Equal(isStatic, OpenFeatureReasons.IsStatic(flag));
        Assert.Equal(expected, OpenFeatureReasons.Of(kind, isStatic, split));
        Assert.Equal(expected.ToLowerInvariant(), EvaluationTelemetry.ReasonOf(kind, flag, split));
    }

    [Fact]
    public void NoFlag_IsNotStatic()
    {
        Assert.False(OpenFeatureReasons.IsStatic(null));
        Assert.Equal(SemanticConventions.Reason.Default, EvaluationTelemetry.ReasonOf(EvaluationReasonKind.Fallthrough, null, split: false));
    }

    [Fact]
    public void EveryReason_HasANameInBoth()
    {
        foreach (var reason in Enum.GetValues<OpenFeatureReason>())
        {
            var kind = reason switch
            {
                OpenFeatureReason.Static or OpenFeatureReason.Default or OpenFeatureReason.Split => EvaluationReasonKind.Fallthrough,
                OpenFeatureReason.TargetingMatch => EvaluationReasonKind.TargetMatch,
                OpenFeatureReason.Disabled => EvaluationReasonKind.Off,
                _ => EvaluationReasonKind.Error,
            };
            var isStatic = reason == OpenFeatureReason.Static;
            var split = reason == OpenFeatureReason.Split;

            Assert.Equal(reason, OpenFeatureReasons.ReasonOf(kind, isStatic, split));
            Assert.Equal(
                OpenFeatureReasons.Of(kind, isStatic, split).ToLowerInvariant(),
                EvaluationTelemetry.ReasonOf(kind, isStatic ? StaticFlag : TargetedFlag, split));
        }
    }

    private static CompiledFlag Compile(FlagDto dto) => TestFlags.Store(dto).Current.Flags[dto.Key!];
}
