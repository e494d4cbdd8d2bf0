using System.Globalization;
using System.Text.Json;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The client gate and conversions of protocol §4.1, §4.9 and §4.10: readiness, unknown and archived flags, typed
/// variations, JSON, null arguments, bulk evaluation and allocation-free evaluation.
/// </summary>
public sealed class FeatureFlagClientTests
{
    private static readonly FlagUser User = FlagUser.Create("user-1");

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Variation_StoreNotInitialized_ReturnsDefaultWithClientNotReady()
    {
        var client = TestFlags.Client(Fixtures.NewStore());

        var detail = client.BoolVariationDetail("any", User, true);

        Assert.False(client.IsInitialized);
        Assert.True(client.BoolVariation("any", User, true));
        Assert.Equal(("any", true, string.Empty, EvaluationReasonKind.ClientNotReady, "client not ready"), (detail.FlagKey, detail.Value, detail.VariationId, detail.Kind, detail.Reason));
        Assert.True(detail.IsDefaultValue);
    }

    [Fact]
    [Trait("Conformance", "SYNC-01")]
    public void Variation_AfterEmptyFullSync_IsInitialized()
    {
        var store = Fixtures.NewStore();
        var client = TestFlags.Client(store);

        store.ApplyFull([], []);

        Assert.True(client.IsInitialized);
        Assert.Equal(EvaluationReasonKind.FlagNotFound, client.BoolVariationDetail("any", User).Kind);
    }

    [Fact]
    [Trait("Conformance", "EVAL-01")]
    public void Variation_UnknownFlag_ReturnsDefaultWithFlagNotFound()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("known", "true")));

        var detail = client.StringVariationDetail("unknown", User, "fallback");

        Assert.Equal(("fallback", string.Empty, EvaluationReasonKind.FlagNotFound, "flag not found"), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
        Assert.Equal(-7, client.IntVariation("unknown", User, -7));
    }

    [Fact]
    public void Variation_FlagKeyIsOrdinal_OtherCaseIsNotFound()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("my-flag", "true")));

        Assert.Equal("flag not found", client.BoolVariationDetail("My-Flag", User).Reason);
    }

    [Fact]
    [Trait("Conformance", "STORE-03")]
    public void Variation_ArchivedFlag_IsNotFoundAndHidden()
    {
        var archived = TestFlags.Flag("archived").Variation("t", "true").Fallthrough("t").Archived().Build();
        var store = TestFlags.Store(archived, OneValue("live", "true"));
        var client = TestFlags.Client(store);

        var detail = client.BoolVariationDetail("archived", User, false);
        var all = client.GetAllFlags(User);

        Assert.Equal((false, EvaluationReasonKind.FlagNotFound, "flag not found"), (detail.Value, detail.Kind, detail.Reason));
        Assert.Equal(["live"], all.Flags.Keys);
        Assert.False(all.TryGetDetail("archived", out _));
        Assert.Equal(["live"], store.FlagKeys);
        Assert.False(store.ContainsFlag("archived"));
        Assert.True(store.ContainsFlag("live"));
    }

    [Fact]
    [Trait("Conformance", "EVAL-06")]
    public void IntVariation_DecimalValue_ReturnsDefaultWithWrongType()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("n", "1.5")));

        var detail = client.IntVariationDetail("n", User, 7);

        Assert.Equal((7, string.Empty, EvaluationReasonKind.WrongType, "type mismatch"), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
        Assert.True(detail.IsDefaultValue);
        Assert.Equal(7, client.IntVariation("n", User, 7));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("")]
    [Trait("Conformance", "EVAL-06")]
    public void BoolVariation_NonBooleanValue_ReturnsDefaultWithWrongType(string value)
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("b", value)));

        var detail = client.BoolVariationDetail("b", User, true);

        Assert.Equal((true, string.Empty, EvaluationReasonKind.WrongType, "type mismatch"), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("FALSE", false)]
    [Trait("Conformance", "EVAL-06")]
    public void BoolVariation_BooleanText_ParsesCaseInsensitively(string value, bool expected)
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("b", value)));

        var detail = client.BoolVariationDetail("b", User, !expected);

        Assert.Equal((expected, "v", EvaluationReasonKind.Fallthrough), (detail.Value, detail.VariationId, detail.Kind));
    }

    [Theory]
    [InlineData("42", 42)]
    [InlineData("-7", -7)]
    [Trait("Conformance", "EVAL-06")]
    public void IntVariation_IntegerText_Parses(string value, int expected)
        => Assert.Equal(expected, TestFlags.Client(TestFlags.Store(OneValue("n", value))).IntVariation("n", User, 0));

    [Theory]
    [InlineData("de-DE")]
    [InlineData("tr-TR")]
    [InlineData("")]
    [Trait("Conformance", "EVAL-06")]
    public void DoubleVariation_AnyCulture_ParsesInvariant(string culture)
    {
        var (savedCulture, savedUiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            var info = culture.Length == 0 ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(culture);
            CultureInfo.CurrentCulture = info;
            CultureInfo.CurrentUICulture = info;
            var client = TestFlags.Client(TestFlags.Store(OneValue("d", "1.5"), OneValue("e", "-2.5e3"), OneValue("i", "3")));

            Assert.Equal(1.5, client.DoubleVariation("d", User, -1));
            Assert.Equal(-2500, client.DoubleVariation("e", User, -1));
            Assert.Equal(3, client.DoubleVariation("i", User, -1));
            Assert.Equal(3, client.IntVariation("i", User, -1));
        }
        finally
        {
            CultureInfo.CurrentCulture = savedCulture;
            CultureInfo.CurrentUICulture = savedUiCulture;
        }
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("abc")]
    [Trait("Conformance", "EVAL-06")]
    public void DoubleVariation_NonFiniteOrNonNumeric_ReturnsDefaultWithWrongType(string value)
    {
        var detail = TestFlags.Client(TestFlags.Store(OneValue("d", value))).DoubleVariationDetail("d", User, -1);

        Assert.Equal((-1d, EvaluationReasonKind.WrongType, "type mismatch"), (detail.Value, detail.Kind, detail.Reason));
    }

    [Fact]
    [Trait("Conformance", "EVAL-06")]
    public void StringVariation_AnyValue_ReturnsRawText()
    {
        var detail = TestFlags.Client(TestFlags.Store(OneValue("s", " 1.5 "))).StringVariationDetail("s", User, "default");

        Assert.Equal((" 1.5 ", "v", EvaluationReasonKind.Fallthrough), (detail.Value, detail.VariationId, detail.Kind));
    }

    [Fact]
    public void JsonVariation_WithTypeInfo_Deserialises()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("j", "{\"code\":200,\"reason\":\"ok\"}")));

        var detail = client.JsonVariationDetail("j", User, new JsonCode(-1, "default"), TestJsonContext.Default.JsonCode);

        Assert.Equal((new JsonCode(200, "ok"), "v", EvaluationReasonKind.Fallthrough), (detail.Value, detail.VariationId, detail.Kind));
        Assert.Equal(new JsonCode(200, "ok"), client.JsonVariation("j", User, new JsonCode(-1, "default"), TestJsonContext.Default.JsonCode));
    }

    [Fact]
    public void JsonVariation_AsJsonElement_IsParsedOnceAndAllocatesNothing()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("j", "{\"code\":200,\"reason\":\"ok\"}")));
        var first = client.JsonVariationDetail("j", User, default, TestJsonContext.Default.JsonElement);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var again = client.JsonVariationDetail("j", User, default, TestJsonContext.Default.JsonElement);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(EvaluationReasonKind.Fallthrough, again.Kind);
        Assert.Equal(200, again.Value.GetProperty("code").GetInt32());
        Assert.Equal("ok", first.Value.GetProperty("reason").GetString());
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"code\":")]
    [InlineData("{} {}")]
    public void JsonVariation_AsJsonElement_InvalidJson_ReturnsDefaultWithWrongType(string value)
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("j", value)));

        var detail = client.JsonVariationDetail("j", User, default, TestJsonContext.Default.JsonElement);

        Assert.Equal((JsonValueKind.Undefined, EvaluationReasonKind.WrongType), (detail.Value.ValueKind, detail.Kind));
    }

    [Fact]
    public async Task JsonVariation_SharedVariation_ReadFromManyThreads_GivesTheSameValue()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("j", "{\"code\":200,\"reason\":\"ok\"}")));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 1_000).All(_ =>
                client.JsonVariation("j", User, new JsonCode(-1, "default"), TestJsonContext.Default.JsonCode) == new JsonCode(200, "ok")
                && client.JsonVariation("j", User, default, TestJsonContext.Default.JsonElement).GetProperty("code").GetInt32() == 200),
            TestContext.Current.CancellationToken)));

        Assert.All(results, Assert.True);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"code\":")]
    [InlineData("{\"code\":\"two hundred\"}")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [Trait("Conformance", "EVAL-06")]
    public void JsonVariation_InvalidJson_ReturnsDefaultWithWrongType(string value)
    {
        var fallback = new JsonCode(-1, "default");
        var client = TestFlags.Client(TestFlags.Store(OneValue("j", value)));

        var detail = client.JsonVariationDetail("j", User, fallback, TestJsonContext.Default.JsonCode);

        Assert.Equal((fallback, string.Empty, EvaluationReasonKind.WrongType, "type mismatch"), (detail.Value, detail.VariationId, detail.Kind, detail.Reason));
    }

    [Fact]
    public void JsonVariation_NotReadyOrNotFound_KeepsTheReason()
    {
        var fallback = new JsonCode(-1, "default");

        var notReady = TestFlags.Client(Fixtures.NewStore()).JsonVariationDetail("j", User, fallback, TestJsonContext.Default.JsonCode);
        var notFound = TestFlags.Client(TestFlags.Store()).JsonVariationDetail("j", User, fallback, TestJsonContext.Default.JsonCode);

        Assert.Equal((fallback, EvaluationReasonKind.ClientNotReady), (notReady.Value, notReady.Kind));
        Assert.Equal((fallback, EvaluationReasonKind.FlagNotFound, "flag not found"), (notFound.Value, notFound.Kind, notFound.Reason));
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public void Variation_NullFlagKeyOrUser_ReturnsDefaultWithoutThrowing()
    {
        var client = TestFlags.Client(TestFlags.Store(OneValue("b", "true")));

        var nullKey = client.BoolVariationDetail(null!, User, false);
        var nullUser = client.BoolVariationDetail("b", null!, false);

        Assert.Equal((false, EvaluationReasonKind.FlagNotFound, string.Empty), (nullKey.Value, nullKey.Kind, nullKey.FlagKey));
        Assert.Equal((false, EvaluationReasonKind.Error, "b"), (nullUser.Value, nullUser.Kind, nullUser.FlagKey));
        Assert.Equal("d", client.StringVariation(null!, null!, "d"));
        Assert.Equal(5, client.IntVariation("b", null!, 5));
        Assert.Equal(5.5, client.DoubleVariation(null!, User, 5.5));
        Assert.Equal(new JsonCode(1, "x"), client.JsonVariation(null!, User, new JsonCode(1, "x"), TestJsonContext.Default.JsonCode));
    }

    [Fact]
    [Trait("Conformance", "EVAL-07")]
    public void GetAllFlags_NotReady_IsEmptyAndSaysWhy()
    {
        var all = TestFlags.Client(Fixtures.NewStore()).GetAllFlags(User);

        Assert.Equal((false, "client not ready"), (all.IsReady, all.Reason));
        Assert.Empty(all.Flags);
        Assert.Equal("fallback", all.GetValue("any", "fallback"));
    }

    [Fact]
    [Trait("Conformance", "EVAL-07")]
    [Trait("Conformance", "API-01")]
    public void GetAllFlags_NullUser_IsEmptyWithoutThrowing()
    {
        var all = TestFlags.Client(TestFlags.Store(OneValue("b", "true"))).GetAllFlags(null!);

        Assert.False(all.IsReady);
        Assert.Empty(all.Flags);
    }

    [Fact]
    [Trait("Conformance", "EVAL-07")]
    public void GetAllFlags_Ready_EvaluatesEveryLiveFlagWithRawValues()
    {
        var targeted = TestFlags.Flag("targeted").Variation("on", "true").Variation("off", "false").Target("on", "user-1").Fallthrough("off").Build();
        var number = OneValue("number", "1.5");
        var json = OneValue("json", "{\"code\":200}");
        var off = TestFlags.Flag("off").Variation("x", "disabled").Off("x").Build();
        var client = TestFlags.Client(TestFlags.Store(targeted, number, json, off));

        var all = client.GetAllFlags(User);

        Assert.Equal((true, "ok"), (all.IsReady, all.Reason));
        Assert.Equal(4, all.Flags.Count);
        Assert.Equal(("true", "on", EvaluationReasonKind.TargetMatch), (all.Flags["targeted"].Value, all.Flags["targeted"].VariationId, all.Flags["targeted"].Kind));
        Assert.Equal(("1.5", EvaluationReasonKind.Fallthrough), (all.Flags["number"].Value, all.Flags["number"].Kind));
        Assert.Equal("{\"code\":200}", all.Flags["json"].Value);
        Assert.Equal(("disabled", EvaluationReasonKind.Off, "flag off"), (all.Flags["off"].Value, all.Flags["off"].Kind, all.Flags["off"].Reason));
        Assert.True(all.TryGetDetail("number", out var detail));
        Assert.Equal("number", detail.FlagKey);
    }

    [Fact]
    public void GetValue_LiveMissingAndBrokenFlags_FallsBackOnlyWhenNeeded()
    {
        var broken = TestFlags.Flag("broken").Variation("v", "x").Fallthrough("v-gone").Build();
        var all = TestFlags.Client(TestFlags.Store(OneValue("live", "on"), broken)).GetAllFlags(User);

        Assert.Equal("on", all.GetValue("live", "fallback"));
        Assert.Equal("fallback", all.GetValue("missing", "fallback"));
        Assert.Equal("fallback", all.GetValue("broken", "fallback"));
        Assert.Equal(string.Empty, all.GetValue("missing"));
    }

    [Fact]
    public void BoolVariation_OffFlag_DoesNotAllocate()
    {
        var flag = TestFlags.Flag("off").Variation("t", "true").Variation("f", "false").Off("t").Fallthrough("f").Build();

        AssertNoAllocation(TestFlags.Store(flag), "off", User, expected: true);
    }

    [Fact]
    public void BoolVariation_TargetedUser_DoesNotAllocate()
    {
        var flag = TestFlags.Flag("targeted").Variation("t", "true").Variation("f", "false")
            .Target("f", "someone", "else").Target("t", "a", "user-1", "b").Fallthrough("f").Build();

        AssertNoAllocation(TestFlags.Store(flag), "targeted", User, expected: true);
    }

    [Fact]
    public void BoolVariation_RuleWithIsOneOf_DoesNotAllocate()
    {
        var flag = TestFlags.Flag("rule").Variation("t", "true").Variation("f", "false")
            .Rule("countries", "t", TestFlags.Condition("country", "IsOneOf", "[\"cn\",\"us\",\"gb\"]"), TestFlags.Condition("plan", "NotEqual", "free"))
            .Fallthrough("f")
            .Build();
        var user = FlagUser.Builder("user-1").Country("gb").Custom("plan", "premium").Build();

        AssertNoAllocation(TestFlags.Store(flag), "rule", user, expected: true);
    }

    /// <summary>A flag whose fallthrough serves one variation (id <c>v</c>) with the given raw value.</summary>
    [Fact]
    public void Variation_WrongType_LoggedOncePerFlagAndRequestedType()
    {
        var logger = new FakeLogger<FeatureFlagClient>();
        var client = new FeatureFlagClient(TestFlags.Store(OneValue("n", "1.5"), OneValue("s", "text")), Options.Create(new FeatureFlagsOptions()), logger: logger);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EvaluationReasonKind.WrongType, client.IntVariationDetail("n", User, 7).Kind);
            Assert.Equal(EvaluationReasonKind.WrongType, client.BoolVariationDetail("n", User).Kind);
            Assert.Equal(EvaluationReasonKind.WrongType, client.JsonVariationDetail("s", User, new JsonCode(-1, "default"), TestJsonContext.Default.JsonCode).Kind);
        }

        Assert.Equal(1.5, client.DoubleVariation("n", User));
        var warnings = logger.Collector.GetSnapshot().Where(r => r.Id.Id == 1203).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Contains(warnings, w => w.Message.Contains("'n'", StringComparison.Ordinal) && w.Message.Contains("not int", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("'n'", StringComparison.Ordinal) && w.Message.Contains("not bool", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("'s'", StringComparison.Ordinal) && w.Message.Contains("not JSON JsonCode", StringComparison.Ordinal));
        Assert.Equal(0, client.UnreportedProblems);
    }

    [Fact]
    public void Variation_WrongTypeOnMoreFlagsThanTheBound_StopsRememberingAndCountsTheRest()
    {
        var logger = new FakeLogger<FeatureFlagClient>();
        var flags = Enumerable.Range(0, FeatureFlagClient.MaxReportedKeys + 2).Select(i => OneValue("f" + i.ToString(CultureInfo.InvariantCulture), "text")).ToArray();
        var client = new FeatureFlagClient(TestFlags.Store(flags), Options.Create(new FeatureFlagsOptions()), logger: logger);

        foreach (var flag in flags)
        {
            client.IntVariation(flag.Key!, User);
            client.IntVariation(flag.Key!, User);
        }

        Assert.Equal(FeatureFlagClient.MaxReportedKeys, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 1203));
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 1204);
        Assert.Equal(4, client.UnreportedProblems);
    }

    private static FlagDto OneValue(string key, string value) => TestFlags.Flag(key).Variation("v", value).Fallthrough("v").Build();

    private static void AssertNoAllocation(FlagStore store, string flagKey, FlagUser user, bool expected)
    {
        var client = TestFlags.Client(store);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(expected, client.BoolVariation(flagKey, user, !expected));
        }

        var result = false;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            result = client.BoolVariation(flagKey, user, !expected);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(expected, result);
        Assert.Equal(0, allocated);
    }
}
