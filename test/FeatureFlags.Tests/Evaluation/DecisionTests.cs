using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>Pins the behaviours we chose where the official SDKs are loose (docs/evaluation.md "Decisions").</summary>
public sealed class DecisionTests
{
    [Theory]
    [InlineData("1,5")]
    [InlineData("1,000")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [Trait("Conformance", "EVAL-06")]
    public void DoubleVariation_ValueWithGroupSeparatorOrNotFinite_IsWrongType(string raw)
    {
        var client = TestFlags.Client(TestFlags.Store(TestFlags.Flag("n").Variation("v", raw).Fallthrough("v").Build()));

        var detail = client.DoubleVariationDetail("n", FlagUser.Create("u"), -1);

        Assert.Equal((-1d, EvaluationReasonKind.WrongType, "type mismatch"), (detail.Value, detail.Kind, detail.Reason));
    }

    [Fact]
    [Trait("Conformance", "EVAL-02")]
    public void StrictMissingAttributes_UnsetName_IsMissing()
    {
        var options = new FeatureFlagsOptions { Evaluation = { StrictMissingAttributes = true } };
        var flag = TestFlags.OneRule("f", TestFlags.Condition("name", "NotEqual", "x"));
        var client = TestFlags.Client(TestFlags.Store(options, [flag]), options);

        Assert.Equal(TestFlags.Miss, client.StringVariation("f", FlagUser.Create("u"), "default"));
        Assert.Equal(TestFlags.Hit, client.StringVariation("f", FlagUser.Create("u", "bob"), "default"));
    }

    [Fact]
    [Trait("Conformance", "EVAL-02")]
    public void DefaultMode_UnsetName_ReadsAsEmpty()
    {
        var flag = TestFlags.OneRule("f", TestFlags.Condition("name", "Equal", ""));
        var client = TestFlags.Client(TestFlags.Store(flag));

        Assert.Equal(TestFlags.Hit, client.StringVariation("f", FlagUser.Create("u"), "default"));
    }

    [Fact]
    public void NullFlagKey_SaysSo()
    {
        var client = TestFlags.Client(TestFlags.Store(TestFlags.OneRule("f")));

        var detail = client.BoolVariationDetail(null!, FlagUser.Create("u"), true);

        Assert.Equal((true, EvaluationReasonKind.FlagNotFound, "flag key not specified"), (detail.Value, detail.Kind, detail.Reason));
    }
}
