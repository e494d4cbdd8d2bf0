using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The end-to-end vectors of protocol §5.4/§5.5: the official Python SDK's fixture and expectations, the official .NET
/// SDK's flag, and the real-server captures, evaluated through the public client.
/// </summary>
public sealed class ConformanceTests
{
    private const string PythonFixture = "featbit-python-sdk/fbclient_test_data.json";

    private static FeatureFlagClient PythonClient() => Fixtures.Client(Fixtures.Store(PythonFixture));

    [Theory]
    [InlineData("test-user-1", null, true, EvaluationReasonKind.TargetMatch, "target match")]
    [InlineData("test-user-2", null, true, EvaluationReasonKind.TargetMatch, "target match")]
    [InlineData("test-user-3", "test-user-3", false, EvaluationReasonKind.Fallthrough, "fall through targets and rules")]
    [InlineData("test-user-4", "test-user-4", true, EvaluationReasonKind.Fallthrough, "fall through targets and rules")]
    [Trait("Conformance", "EVAL-05")]
    public void BoolFlag_PythonVectors_Match(string key, string? name, bool expected, EvaluationReasonKind kind, string reason)
    {
        var detail = PythonClient().BoolVariationDetail("ff-test-bool", FlagUser.Create(key, name), !expected);

        Assert.Equal(expected, detail.Value);
        Assert.Equal(kind, detail.Kind);
        Assert.Equal(reason, detail.Reason);
        Assert.NotEmpty(detail.VariationId);
    }

    [Theory]
    [InlineData("us", 1, EvaluationReasonKind.RuleMatch, "match rule USA")]
    [InlineData("fr", 33, EvaluationReasonKind.RuleMatch, "match rule FRANCE")]
    [InlineData("cn", 86, EvaluationReasonKind.RuleMatch, "match rule CHINA")]
    [InlineData("uk", 9999, EvaluationReasonKind.Fallthrough, "fall through targets and rules")]
    public void NumberFlag_ByCountry_Matches(string country, int expected, EvaluationReasonKind kind, string reason)
    {
        var user = FlagUser.Builder("u").Country(country).Build();

        var detail = PythonClient().IntVariationDetail("ff-test-number", user, -1);

        Assert.Equal((expected, kind, reason), (detail.Value, detail.Kind, detail.Reason));
        Assert.Equal((double)expected, PythonClient().DoubleVariation("ff-test-number", user, -1));
    }

    [Theory]
    [InlineData("18555358000", "phone number")]
    [InlineData("0603111111", "phone number")]
    [InlineData("test-user-7@featbit.com", "email")]
    [InlineData("test-user-1", "others")]
    public void StringFlag_RegexOnKey_Matches(string key, string expected)
        => Assert.Equal(expected, PythonClient().StringVariation("ff-test-string", FlagUser.Create(key), "default"));

    [Theory]
    [InlineData("test-user-1", null, "teamA", EvaluationReasonKind.RuleMatch)]
    [InlineData("test-user-2", null, "teamB", EvaluationReasonKind.Fallthrough)]
    [InlineData("test-user-3", "cs", "teamA", EvaluationReasonKind.RuleMatch)]
    [InlineData("test-user-4", "physics", "teamB", EvaluationReasonKind.Fallthrough)]
    [Trait("Conformance", "EVAL-04")]
    public void SegmentFlag_IncludedExcludedAndRule_Match(string key, string? major, string expected, EvaluationReasonKind kind)
    {
        var user = FlagUser.Builder(key).Custom("major", major).Build();

        var detail = PythonClient().StringVariationDetail("ff-test-seg", user, "default");

        Assert.Equal((expected, kind), (detail.Value, detail.Kind));
    }

    [Theory]
    [InlineData("test-user-1", 200)]
    [InlineData("test-user-2", 404)]
    public void JsonFlag_DispatchByName_Deserialises(string key, int expectedCode)
    {
        var detail = PythonClient().JsonVariationDetail("ff-test-json", FlagUser.Create(key, key), new JsonCode(-1, ""), TestJsonContext.Default.JsonCode);

        Assert.Equal(expectedCode, detail.Value.Code);
        Assert.Equal(EvaluationReasonKind.Fallthrough, detail.Kind);
    }

    [Fact]
    public void OffFlag_AnyUser_ServesOffVariation()
    {
        var detail = PythonClient().BoolVariationDetail("ff-test-off", FlagUser.Create("anyone"), true);

        Assert.False(detail.Value);
        Assert.Equal(EvaluationReasonKind.Off, detail.Kind);
        Assert.Equal("flag off", detail.Reason);
    }

    public static TheoryData<string, string, string, EvaluationReasonKind, string> EvaluationTestVectors() => new()
    {
        { "test-target-user", "", "teamB", EvaluationReasonKind.TargetMatch, "target match" },
        { "u", "graduated=true", "teamC", EvaluationReasonKind.RuleMatch, "match rule True Rule" },
        { "u", "country=CHN", "teamD", EvaluationReasonKind.RuleMatch, "match rule Equal Rule" },
        { "u", "salary=2500", "teamE", EvaluationReasonKind.RuleMatch, "match rule Than Rule" },
        { "u", "email=test-user@gmail.com", "teamF", EvaluationReasonKind.RuleMatch, "match rule Contain Rule" },
        { "u", "major=CS", "teamG", EvaluationReasonKind.RuleMatch, "match rule OneOf Rule" },
        { "u", "name=group-admin-user", "teamH", EvaluationReasonKind.RuleMatch, "match rule StartEnd Rule" },
        { "u", "phone=18555358000", "teamI", EvaluationReasonKind.RuleMatch, "match rule MatchRegex Rule" },
        { "u", "", "teamA", EvaluationReasonKind.Fallthrough, "fall through targets and rules" },
    };

    [Theory]
    [MemberData(nameof(EvaluationTestVectors))]
    [Trait("Conformance", "EVAL-03")]
    public void EvaluationTestFlag_EveryOperatorFamily_Matches(string key, string attribute, string expected, EvaluationReasonKind kind, string reason)
    {
        var builder = FlagUser.Builder(key);
        if (attribute.Length > 0)
        {
            var (name, value) = (attribute[..attribute.IndexOf('=')], attribute[(attribute.IndexOf('=') + 1)..]);
            _ = name switch
            {
                "name" => builder.Name(value),
                "email" => builder.Email(value),
                "country" => builder.Country(value),
                _ => builder.Custom(name, value),
            };
        }

        var detail = PythonClient().StringVariationDetail("ff-evaluation-test", builder.Build(), "default");

        Assert.Equal((expected, kind, reason), (detail.Value, detail.Kind, detail.Reason));
    }

    [Theory]
    [InlineData("true-3", null, null, null, true, EvaluationReasonKind.TargetMatch)]
    [InlineData("false-2", null, null, null, false, EvaluationReasonKind.TargetMatch)]
    [InlineData("u-a", "bob_qa", "23", null, true, EvaluationReasonKind.RuleMatch)]
    [InlineData("user-20", null, null, "us", true, EvaluationReasonKind.RuleMatch)]
    [InlineData("user-1", null, null, "us", false, EvaluationReasonKind.RuleMatch)]
    [InlineData("user-1", null, null, "fr", true, EvaluationReasonKind.Fallthrough)]
    [Trait("Conformance", "EVAL-05")]
    public void DotnetSdkFlag_Vectors_Match(string key, string? name, string? age, string? country, bool expected, EvaluationReasonKind kind)
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([OneFlag()], []);
        var user = FlagUser.Builder(key).Name(name).Custom("age", age).Country(country).Build();

        var detail = Fixtures.Client(store).BoolVariationDetail("example", user, !expected);

        Assert.Equal((expected, kind), (detail.Value, detail.Kind));
    }

    [Fact]
    [Trait("Conformance", "EVT-05")]
    public void DotnetSdkFlag_ExptIncludeAllTargets_SendsEveryNonOffResultToExperiment()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([OneFlag()], []);
        var flag = store.Current.Flags["example"];

        foreach (var key in new[] { "true-3", "false-2", "user-20", "user-1", "anyone" })
        {
            Assert.True(Evaluator.Evaluate(flag, FlagUser.Builder(key).Country("us").Build(), false).SendToExperiment);
        }
    }

    [Theory]
    [InlineData("user-1", "false")]
    [InlineData("user-2", "false")]
    public void RealServerCapture_BoolFlag_TargetAndRule(string key, string _)
    {
        var client = Fixtures.Client(Fixtures.Store("real-server-captures/server-full-data-sync.json"));

        var target = client.BoolVariationDetail("bool-flag", FlagUser.Create("user-1"), true);
        var rule = client.BoolVariationDetail("bool-flag", FlagUser.Builder(key + "-x").Country("US").Build(), false);

        Assert.Equal((false, EvaluationReasonKind.TargetMatch), (target.Value, target.Kind));
        Assert.Equal((true, EvaluationReasonKind.RuleMatch), (rule.Value, rule.Kind));
    }

    [Theory]
    [InlineData("user-2", null, "green")]
    [InlineData("user-3", "premium", "red")]
    [InlineData("user-9", "premium", "green")]
    [InlineData("user-9", "free", "red")]
    public void RealServerCapture_SegmentFlag_IncludedExcludedAndRule(string key, string? plan, string expected)
    {
        var client = Fixtures.Client(Fixtures.Store("real-server-captures/server-full-data-sync.json"));

        var value = client.StringVariation("color-flag", FlagUser.Builder(key).Custom("plan", plan).Build(), "none");

        Assert.Equal(expected, value);
    }

    [Fact]
    [Trait("Conformance", "STORE-02")]
    public void RealServerCapture_OlderPushAfterNewerFull_IsIgnored()
    {
        // The captured push (18:47:53) predates the captured full sync (18:53:29): the stale version must not win.
        var store = Fixtures.Store("real-server-captures/server-full-data-sync.json");
        var client = Fixtures.Client(store);
        Assert.Equal((0, EvaluationReasonKind.Off), (client.IntVariation("off-flag", FlagUser.Create("u"), -1), client.IntVariationDetail("off-flag", FlagUser.Create("u"), -1).Kind));

        var result = store.Apply(Fixtures.DataSync("real-server-captures/server-patch-push.json"));

        Assert.Equal((0, 1), (result.Applied, result.Ignored));
        Assert.Equal(EvaluationReasonKind.Off, client.IntVariationDetail("off-flag", FlagUser.Create("u"), -1).Kind);
    }

    [Fact]
    public void RealServerCapture_PushOnEmptyStore_TurnsFlagOn()
    {
        var store = Fixtures.NewStore();
        var client = Fixtures.Client(store);

        store.Apply(Fixtures.DataSync("real-server-captures/server-patch-push.json"));

        var detail = client.IntVariationDetail("off-flag", FlagUser.Create("u"), -1);
        Assert.Equal((1, EvaluationReasonKind.Fallthrough), (detail.Value, detail.Kind));
    }

    private static FeatureFlags.Model.Internal.FlagDto OneFlag()
        => System.Text.Json.JsonSerializer.Deserialize(Fixtures.Bytes("featbit-dotnet-sdk/one-flag.json"), FeatureFlags.Model.Internal.WireJsonContext.Default.FlagDto)!;
}
