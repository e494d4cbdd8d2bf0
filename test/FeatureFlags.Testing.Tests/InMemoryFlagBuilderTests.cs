using System.Text.Json.Serialization;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>Every fluent form, read back through the real store, evaluator and <see cref="IFeatureFlagClient"/>.</summary>
public sealed class InMemoryFlagBuilderTests : IDisposable
{
    private readonly Harness _h = new();
    private static readonly FlagUser Alice = Harness.User("alice", country: "NL");
    private static readonly FlagUser Bob = Harness.User("bob", country: "US");

    public void Dispose() => _h.Dispose();

    [Fact]
    public void On_NewFlag_ServesTrueToEveryone()
    {
        _h.Flags.Flag("f").On();

        var detail = _h.Client.BoolVariationDetail("f", Bob);

        Assert.True(detail.Value);
        Assert.Equal(EvaluationReasonKind.Fallthrough, detail.Kind);
    }

    [Fact]
    public void Off_TargetedUser_GetsTheOffValueWithReasonOff()
    {
        _h.Flags.Flag("f").On().ForUser("alice", true).Off();

        var detail = _h.Client.BoolVariationDetail("f", Alice, defaultValue: true);

        Assert.False(detail.Value);
        Assert.Equal(EvaluationReasonKind.Off, detail.Kind);
        Assert.Equal("flag off", detail.Reason);
    }

    [Fact]
    public void OffValue_StringFlagTurnedOff_ServesTheOffValue()
    {
        _h.Flags.Flag("ui").ValueForAll("v2").OffValue("v1").Off();

        Assert.Equal("v1", _h.Client.StringVariation("ui", Alice, "default"));
    }

    [Fact]
    public void On_AfterOff_ServesTrueAgain()
    {
        var flag = _h.Flags.Flag("f").Off();
        Assert.False(_h.Client.BoolVariation("f", Alice, defaultValue: true));

        flag.On();

        Assert.True(_h.Client.BoolVariation("f", Alice));
    }

    [Fact]
    public void On_StringFlagTurnedOff_ServesItsValueForAllAgain()
    {
        var flag = _h.Flags.Flag("ui").ValueForAll("v2").OffValue("v1").Off();

        flag.On();

        Assert.Equal("v2", _h.Client.StringVariation("ui", Alice, "default"));
    }

    [Fact]
    public void ValueForAll_EachType_EvaluatesTyped()
    {
        _h.Flags.Flag("s").ValueForAll("blue");
        _h.Flags.Flag("i").ValueForAll(42);
        _h.Flags.Flag("d").ValueForAll(0.25);
        _h.Flags.Flag("j").ValueForAll(FlagValue.Json("""{"text":"sale","size":3}"""));
        _h.Flags.Flag("t").ValueForAll(FlagValue.Json(new Banner("typed", 7), TestJson.Default.Banner));

        Assert.Equal("blue", _h.Client.StringVariation("s", Alice, "default"));
        Assert.Equal(42, _h.Client.IntVariation("i", Alice));
        Assert.Equal(0.25, _h.Client.DoubleVariation("d", Alice));
        Assert.Equal(new Banner("sale", 3), _h.Client.JsonVariation("j", Alice, new Banner("default", 0), TestJson.Default.Banner));
        Assert.Equal(new Banner("typed", 7), _h.Client.JsonVariation("t", Alice, new Banner("default", 0), TestJson.Default.Banner));
    }

    [Fact]
    public void ValueForAll_AskedAsAnotherType_ReturnsTheDefaultWithWrongType()
    {
        _h.Flags.Flag("s").ValueForAll("blue");

        var detail = _h.Client.IntVariationDetail("s", Alice, 7);

        Assert.Equal(7, detail.Value);
        Assert.Equal(EvaluationReasonKind.WrongType, detail.Kind);
    }

    [Fact]
    public void ForUser_TargetedUser_GetsTheirValueWithTargetMatch()
    {
        _h.Flags.Flag("ui").ValueForAll("v1").ForUser("alice", "v2");

        var alice = _h.Client.StringVariationDetail("ui", Alice, "default");

        Assert.Equal("v2", alice.Value);
        Assert.Equal(EvaluationReasonKind.TargetMatch, alice.Kind);
        Assert.Equal("v1", _h.Client.StringVariation("ui", Bob, "default"));
    }

    [Fact]
    public void ForUser_BooleanFlagWithoutValueForAll_OthersGetFalse()
    {
        _h.Flags.Flag("beta").ForUsers(true, "alice", "carol");

        Assert.True(_h.Client.BoolVariation("beta", Alice));
        Assert.True(_h.Client.BoolVariation("beta", Harness.User("carol")));
        Assert.False(_h.Client.BoolVariation("beta", Bob, defaultValue: true));
    }

    [Fact]
    public void ForUser_StringFlagWithoutValueForAll_OthersGetTheFirstValue()
    {
        _h.Flags.Flag("ui").ForUser("alice", "v2").ForUser("bob", "v3");

        Assert.Equal("v2", _h.Client.StringVariation("ui", Harness.User("carol"), "default"));
    }

    [Fact]
    public void ClearUsers_RemovesTheTargets()
    {
        var flag = _h.Flags.Flag("ui").ValueForAll("v1").ForUser("alice", "v2");

        flag.ClearUsers();

        Assert.Equal("v1", _h.Client.StringVariation("ui", Alice, "default"));
    }

    [Fact]
    public void Rule_IsOneOf_MatchingUserGetsTheRuleValueWithItsName()
    {
        _h.Flags.Flag("discount").Rule("benelux", r => r.When("country", RuleOperator.IsOneOf, "NL", "BE").Serve(true));

        var alice = _h.Client.BoolVariationDetail("discount", Alice);

        Assert.True(alice.Value);
        Assert.Equal(EvaluationReasonKind.RuleMatch, alice.Kind);
        Assert.Equal("match rule benelux", alice.Reason);
        Assert.False(_h.Client.BoolVariation("discount", Bob, defaultValue: true));
    }

    [Fact]
    public void Rule_SeveralConditions_AllMustMatch()
    {
        _h.Flags.Flag("f").ValueForAll("none").Rule(r => r
            .When("country", RuleOperator.Equal, "NL")
            .When("plan", RuleOperator.StartsWith, "prem")
            .Serve("both"));
        var premium = FlagUser.Builder("p").Country("NL").Custom("plan", "premium").Build();

        Assert.Equal("both", _h.Client.StringVariation("f", premium, "default"));
        Assert.Equal("none", _h.Client.StringVariation("f", Alice, "default"));
    }

    [Fact]
    public void Rule_FirstMatchingRuleWins_AndTargetsBeatRules()
    {
        _h.Flags.Flag("f").ValueForAll("all")
            .Rule(r => r.When("country", RuleOperator.Equal, "NL").Serve("first"))
            .Rule(r => r.When("country", RuleOperator.NotEqual, "XX").Serve("second"))
            .ForUser("alice", "target");

        Assert.Equal("target", _h.Client.StringVariation("f", Alice, "default"));
        Assert.Equal("first", _h.Client.StringVariation("f", Harness.User("nl", country: "NL"), "default"));
        Assert.Equal("second", _h.Client.StringVariation("f", Bob, "default"));
        Assert.Equal("match rule rule 2", _h.Client.StringVariationDetail("f", Bob, "default").Reason);
    }

    [Theory]
    [InlineData(RuleOperator.GreaterThan, 18, "21", true)]
    [InlineData(RuleOperator.GreaterThan, 18, "18", false)]
    [InlineData(RuleOperator.GreaterThanOrEqual, 18, "18", true)]
    [InlineData(RuleOperator.LessThan, 18, "17.5", true)]
    [InlineData(RuleOperator.LessThanOrEqual, 18, "19", false)]
    public void Rule_NumericOperand_ComparesNumbers(RuleOperator op, double operand, string age, bool expected)
    {
        _h.Flags.Flag("f").Rule(r => r.When("age", op, operand).Serve(true));

        Assert.Equal(expected, _h.Client.BoolVariation("f", FlagUser.Builder("u").Custom("age", age).Build()));
    }

    [Theory]
    [InlineData(RuleOperator.Contains, "ali", true)]
    [InlineData(RuleOperator.NotContains, "ali", false)]
    [InlineData(RuleOperator.EndsWith, "ice", true)]
    [InlineData(RuleOperator.MatchesRegex, "^a.*e$", true)]
    [InlineData(RuleOperator.NotMatchesRegex, "^b", true)]
    [InlineData(RuleOperator.NotOneOf, "bob", true)]
    public void Rule_StringOperators_MatchTheUserKey(RuleOperator op, string operand, bool expected)
    {
        _h.Flags.Flag("f").Rule(r => r.When(FlagUser.KeyAttribute, op, operand).Serve(true));

        Assert.Equal(expected, _h.Client.BoolVariation("f", Alice));
    }

    [Theory]
    [InlineData(RuleOperator.IsTrue, "TRUE", true)]
    [InlineData(RuleOperator.IsTrue, "no", false)]
    [InlineData(RuleOperator.IsFalse, "false", true)]
    public void Rule_IsTrueIsFalse_TakeNoOperand(RuleOperator op, string attribute, bool expected)
    {
        _h.Flags.Flag("f").Rule(r => r.When("beta-tester", op).Serve(true));

        Assert.Equal(expected, _h.Client.BoolVariation("f", FlagUser.Builder("u").Custom("beta-tester", attribute).Build()));
    }

    [Fact]
    public void Rule_WrongNumberOfOperands_Throws()
    {
        Assert.Throws<ArgumentException>(() => _h.Flags.Flag("f").Rule(r => r.When("country", RuleOperator.Equal, "NL", "BE").Serve(true)));
        Assert.Throws<ArgumentException>(() => _h.Flags.Flag("f").Rule(r => r.When("x", RuleOperator.IsTrue, "true").Serve(true)));
        Assert.Empty(_h.Flags.FlagKeys);
    }

    [Fact]
    public void Rule_ServingNothing_ThrowsAndDefinesNothing()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _h.Flags.Flag("f").Rule(r => r.When("country", RuleOperator.Equal, "NL")));

        Assert.Contains("Serve", ex.Message, StringComparison.Ordinal);
        Assert.False(_h.Store.ContainsFlag("f"));
    }

    [Fact]
    public void ClearRules_RemovesTheRules()
    {
        var flag = _h.Flags.Flag("discount").Rule(r => r.When("country", RuleOperator.Equal, "NL").Serve(true));

        flag.ClearRules();

        Assert.False(_h.Client.BoolVariation("discount", Alice, defaultValue: true));
    }

    [Fact]
    public void ValueOfAnotherType_Throws_AndLeavesTheFlagAsItWas()
    {
        var flag = _h.Flags.Flag("f").ValueForAll(true);
        var version = _h.Store.Version;

        var ex = Assert.Throws<ArgumentException>(() => flag.ForUser("alice", "yes"));

        Assert.Contains("boolean", ex.Message, StringComparison.Ordinal);
        Assert.Equal(version, _h.Store.Version);
        Assert.True(_h.Client.BoolVariation("f", Alice));
    }

    [Fact]
    public void IntAndDouble_AreOneNumberType()
    {
        _h.Flags.Flag("n").ValueForAll(10).ForUser("alice", 2.5);

        Assert.Equal(2.5, _h.Client.DoubleVariation("n", Alice));
        Assert.Equal(10, _h.Client.IntVariation("n", Bob));
    }

    [Fact]
    public void FlagValue_InvalidInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => FlagValue.Json("not json"));
        Assert.Throws<ArgumentException>(() => FlagValue.Json("42"));
        Assert.Throws<ArgumentOutOfRangeException>(() => FlagValue.FromDouble(double.NaN));
        Assert.Throws<ArgumentException>(() => _h.Flags.Flag("f").ValueForAll(default));
    }

    [Fact]
    public void Flag_WithoutAnyCall_DefinesNothing()
    {
        _ = _h.Flags.Flag("f");

        Assert.Equal(EvaluationReasonKind.FlagNotFound, _h.Client.BoolVariationDetail("f", Alice).Kind);
        Assert.Empty(_h.Flags.FlagKeys);
    }

    [Fact]
    public void Remove_DefinedFlag_IsNotFoundAfterwards()
    {
        var flag = _h.Flags.Flag("f").On();

        Assert.True(flag.Remove());

        var detail = _h.Client.BoolVariationDetail("f", Alice);
        Assert.Equal("flag not found", detail.Reason);
        Assert.False(_h.Store.ContainsFlag("f"));
        Assert.False(_h.Flags.Remove("f"));
    }

    [Fact]
    public void Remove_ThenDefineAgain_ServesTheNewDefinition()
    {
        var flag = _h.Flags.Flag("f").ValueForAll("old");
        flag.Remove();

        flag.ValueForAll("new");

        Assert.Equal("new", _h.Client.StringVariation("f", Alice, "default"));
    }

    [Fact]
    public void RemoveAll_RemovesEveryFlag()
    {
        _h.Flags.Flag("a").On();
        _h.Flags.Flag("b").ValueForAll(3);

        _h.Flags.RemoveAll();

        Assert.Empty(_h.Store.FlagKeys);
        Assert.Empty(_h.Flags.FlagKeys);
    }

    [Fact]
    public void Use_ServesTheValueThenRestoresTheFlag()
    {
        _h.Flags.Flag("ui").ValueForAll("v1").ForUser("alice", "v2");

        using (_h.Flags.Use("ui", "temp"))
        {
            Assert.Equal("temp", _h.Client.StringVariation("ui", Alice, "default"));
            Assert.Equal("temp", _h.Client.StringVariation("ui", Bob, "default"));
        }

        Assert.Equal("v2", _h.Client.StringVariation("ui", Alice, "default"));
        Assert.Equal("v1", _h.Client.StringVariation("ui", Bob, "default"));
    }

    [Fact]
    public void Use_UndefinedFlag_IsRemovedAgainOnDispose()
    {
        var scope = _h.Flags.Use("f", true);
        Assert.True(_h.Client.BoolVariation("f", Alice));

        scope.Dispose();
        scope.Dispose();

        Assert.False(_h.Store.ContainsFlag("f"));
    }

    [Fact]
    public void ScopedFeatureFlags_SeeTheFlags()
    {
        _h.Flags.Flag("ui").ValueForAll("v1").ForUser("alice", "v2");
        using var scope = _h.Services.CreateScope();
        var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();

        flags.SetUser(Alice);

        Assert.Equal("v2", flags.StringVariation("ui", "default"));
        Assert.Equal(EvaluationReasonKind.TargetMatch, flags.StringVariationDetail("ui", "default").Kind);
    }

    [Fact]
    public void EveryForm_ThroughTheScopedFeatureFlags_EvaluatesAsDefined()
    {
        _h.Flags.Update(f =>
        {
            f.Flag("on").On();
            f.Flag("off").On().Off();
            f.Flag("s").ValueForAll("blue");
            f.Flag("i").ValueForAll(42);
            f.Flag("d").ValueForAll(0.5);
            f.Flag("j").ValueForAll(FlagValue.Json("""{"text":"sale","size":3}"""));
            f.Flag("user").ValueForAll("others").ForUser("alice", "mine");
            f.Flag("rule").ValueForAll(false).Rule(r => r.When("country", RuleOperator.Equal, "NL").Serve(true));
            f.Flag("split").Percentage(("only", 100));
        });
        using var scope = _h.Services.CreateScope();
        var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();
        flags.SetUser(Alice);

        Assert.True(flags.IsEnabled("on"));
        Assert.False(flags.BoolVariation("off", defaultValue: true));
        Assert.Equal("blue", flags.StringVariation("s", "default"));
        Assert.Equal(42, flags.IntVariation("i"));
        Assert.Equal(0.5, flags.DoubleVariation("d"));
        Assert.Equal(new Banner("sale", 3), flags.JsonVariation("j", new Banner("default", 0), TestJson.Default.Banner));
        Assert.Equal("mine", flags.StringVariation("user", "default"));
        Assert.Equal(EvaluationReasonKind.RuleMatch, flags.BoolVariationDetail("rule").Kind);
        Assert.Equal("only", flags.StringVariation("split", "default"));
        Assert.Equal(9, _h.Flags.Events.Evaluations.Count);
    }

    [Fact]
    public void GetAllFlags_ListsEveryDefinedFlag()
    {
        _h.Flags.Flag("a").On();
        _h.Flags.Flag("b").ValueForAll("x");

        var all = _h.Client.GetAllFlags(Alice);

        Assert.True(all.IsReady);
        Assert.Equal(["a", "b"], all.Flags.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["a", "b"], _h.Flags.FlagKeys);
    }
}

internal sealed record Banner(string Text, int Size);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Banner))]
internal sealed partial class TestJson : JsonSerializerContext;
