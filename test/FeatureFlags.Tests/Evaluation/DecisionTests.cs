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

    [Theory]
    [InlineData("custom-name", false)]
    [InlineData("", true)]
    public void NameRule_CustomAttributeCalledName_IsIgnored_UnsetNameReadsAsEmpty(string ruleValue, bool hits)
    {
        // The official SDK reads the built-in name for "name": a custom attribute of that name never takes its place.
        var flag = TestFlags.OneRule("f", TestFlags.Condition("name", "Equal", ruleValue));
        var client = TestFlags.Client(TestFlags.Store(flag));
        var user = FlagUser.Builder("u").Custom("name", "custom-name").Build();

        Assert.Equal(hits ? TestFlags.Hit : TestFlags.Miss, client.StringVariation("f", user, "default"));
    }

    [Fact]
    public void NameRule_BuiltInAndCustomName_BuiltInIsRead()
    {
        var client = TestFlags.Client(TestFlags.Store(
            TestFlags.OneRule("ada", TestFlags.Condition("name", "Equal", "Ada")),
            TestFlags.OneRule("custom", TestFlags.Condition("name", "Equal", "custom-name"))));
        var user = FlagUser.Builder("u").Name("Ada").Custom("name", "custom-name").Build();

        Assert.Equal((TestFlags.Hit, TestFlags.Miss), (client.StringVariation("ada", user, "default"), client.StringVariation("custom", user, "default")));
    }

    [Fact]
    public void StrictMissingAttributes_UnsetNameWithCustomName_IsMissing()
    {
        var options = new FeatureFlagsOptions { Evaluation = { StrictMissingAttributes = true } };
        var flag = TestFlags.OneRule("f", TestFlags.Condition("name", "NotEqual", "x"));
        var client = TestFlags.Client(TestFlags.Store(options, [flag]), options);

        Assert.Equal(TestFlags.Miss, client.StringVariation("f", FlagUser.Builder("u").Custom("name", "custom-name").Build(), "default"));
    }

    [Fact]
    public void PercentageRollout_DispatchByName_IgnoresCustomName()
    {
        // Dispatching by "name" with only a custom "name" hashes "" (the unset built-in name), like any user without a name.
        var flag = TestFlags.Flag("r").HitMiss().Fallthrough("name", false, TestFlags.Slice(TestFlags.HitId, 0, 0.5), TestFlags.Slice(TestFlags.MissId, 0.5, 1)).Build();
        var client = TestFlags.Client(TestFlags.Store(flag));

        for (var i = 0; i < 20; i++)
        {
            var customName = FlagUser.Builder("u" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Custom("name", "n" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Build();
            var noName = FlagUser.Create("other" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(client.StringVariation("r", noName, "default"), client.StringVariation("r", customName, "default"));
        }
    }

    [Theory]
    [InlineData("BiggerThan", "999", "1,000")]
    [InlineData("BiggerEqualThan", "1000", "1,000")]
    [InlineData("LessThan", "1,000", "5")]
    [InlineData("LessEqualThan", "1,000", "1000")]
    [InlineData("BiggerThan", "1", "1e400")]
    [InlineData("BiggerEqualThan", "1e400", "1e400")]
    [InlineData("LessThan", "1e400", "1")]
    [InlineData("LessEqualThan", "-1e400", "1")]
    [InlineData("LessThan", "1", "-1e400")]
    public void NumericOperators_GroupSeparatorOrOutOfDoubleRange_IsNotANumber(string op, string ruleValue, string userValue)
    {
        // The official SDK reads "1,000" as 1000 and "1e400" as infinity; we accept finite invariant-culture numbers only
        // (docs/evaluation.md, "Numbers and regular expressions: where we differ from the official SDK").
        var flag = TestFlags.OneRule("f", TestFlags.Condition("score", op, ruleValue));
        var client = TestFlags.Client(TestFlags.Store(flag));

        var user = FlagUser.Builder("u").Custom("score", userValue).Build();

        Assert.Equal(TestFlags.Miss, client.StringVariation("f", user, "default"));
    }

    [Theory]
    [InlineData("BiggerThan", "999", "1000")]
    [InlineData("BiggerThan", "999", "1e3")]
    [InlineData("LessThan", "1e308", "1.5e307")]
    [InlineData("BiggerThan", "-1", " 0 ")]
    public void NumericOperators_FiniteInvariantNumbers_Compare(string op, string ruleValue, string userValue)
    {
        var flag = TestFlags.OneRule("f", TestFlags.Condition("score", op, ruleValue));
        var client = TestFlags.Client(TestFlags.Store(flag));

        Assert.Equal(TestFlags.Hit, client.StringVariation("f", FlagUser.Builder("u").Custom("score", userValue).Build(), "default"));
    }

    [Fact]
    public void NullFlagKey_SaysSo()
    {
        var client = TestFlags.Client(TestFlags.Store(TestFlags.OneRule("f")));

        var detail = client.BoolVariationDetail(null!, FlagUser.Create("u"), true);

        Assert.Equal((true, EvaluationReasonKind.FlagNotFound, "flag key not specified"), (detail.Value, detail.Kind, detail.Reason));
    }
}
