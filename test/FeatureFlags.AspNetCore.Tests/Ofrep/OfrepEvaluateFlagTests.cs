using System.Text.Json;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Xunit;
using static FeatureFlags.AspNetCore.Tests.Ofrep.OfrepHost;

namespace FeatureFlags.AspNetCore.Tests.Ofrep;

/// <summary>
/// <c>POST /ofrep/v1/evaluate/flags/{key}</c>: the 200 serverEvaluationSuccess and the 404 flagNotFound of the OFREP
/// OpenAPI document (open-feature/protocol, service/openapi.yaml), values typed by the flag's variationType, reasons mapped.
/// </summary>
public sealed class OfrepEvaluateFlagTests
{
    private static InMemoryFlags Flags()
    {
        var flags = new InMemoryFlags();
        flags.Flag("bool-on").ValueForAll(true);
        flags.Flag("color").ValueForAll("blue");
        flags.Flag("limit").ValueForAll(42);
        flags.Flag("ratio").ValueForAll(0.25);
        flags.Flag("config").ValueForAll(FlagValue.Json("""{"theme":"dark","size":3}"""));
        flags.Flag("off").ValueForAll("on-value").OffValue("fallback").Off();
        flags.Flag("targeted").ValueForAll("everyone").ForUser("alice", "alice-only");
        flags.Flag("ruled").ValueForAll("basic").Rule("pro users", r => r.When("plan", RuleOperator.Equal, "pro").Serve("pro"));
        flags.Flag("split-rule").ValueForAll("basic").Rule(r => r.When("plan", RuleOperator.Equal, "pro").Percentage(("a", 50), ("b", 50)));
        flags.Flag("split-all").Percentage(("a", 50), ("b", 50));
        flags.Flag("numeric-text").ValueForAll("007");
        return flags;
    }

    [Theory]
    [InlineData("bool-on", "true")]
    [InlineData("color", "\"blue\"")]
    [InlineData("limit", "42")]
    [InlineData("ratio", "0.25")]
    [InlineData("config", """{"theme":"dark","size":3}""")]
    [InlineData("numeric-text", "\"007\"")]
    public async Task Evaluate_EachVariationType_ValueIsJsonOfThatType(string key, string expectedValue)
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAsync(key, Context("u1"));

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.ContentType()?.MediaType);
        var json = response.Json;
        OfrepSchema.AssertEvaluationSuccess(json, key);
        Assert.Equal(expectedValue, json.GetProperty("value").GetRawText());
        Assert.Equal("STATIC", json.GetProperty("reason").GetString());
        var detail = host.App.Services.GetRequiredService<IFeatureFlagClient>().StringVariationDetail(key, FlagUser.Create("u1"), "");
        Assert.Equal(detail.VariationId, json.GetProperty("variant").GetString());
    }

    [Theory]
    [InlineData("off", "u1", "", "DISABLED", "\"fallback\"")]
    [InlineData("targeted", "alice", "", "TARGETING_MATCH", "\"alice-only\"")]
    [InlineData("targeted", "bob", "", "DEFAULT", "\"everyone\"")]
    [InlineData("ruled", "u1", "\"plan\":\"pro\"", "TARGETING_MATCH", "\"pro\"")]
    [InlineData("ruled", "u1", "\"plan\":\"free\"", "DEFAULT", "\"basic\"")]
    [InlineData("split-rule", "u1", "\"plan\":\"pro\"", "SPLIT", null)]
    [InlineData("split-rule", "u1", "", "DEFAULT", "\"basic\"")]
    [InlineData("split-all", "u1", "", "SPLIT", null)]
    public async Task Evaluate_Outcome_MapsToOpenFeatureReason(string key, string user, string attributes, string reason, string? value)
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAsync(key, Context(user, attributes));

        Assert.Equal(200, response.Status);
        var json = response.Json;
        OfrepSchema.AssertEvaluationSuccess(json, key);
        Assert.Equal(reason, json.GetProperty("reason").GetString());
        if (value is not null)
        {
            Assert.Equal(value, json.GetProperty("value").GetRawText());
        }
        else
        {
            Assert.Contains(json.GetProperty("value").GetString(), new[] { "a", "b" });
        }
    }

    [Fact]
    public async Task Evaluate_ContextAttributes_BecomeTheUsersAttributes()
    {
        var flags = new InMemoryFlags();
        flags.Flag("age").ValueForAll(false).Rule(r => r.When("age", RuleOperator.GreaterThan, 30).Serve(true));
        flags.Flag("beta").ValueForAll(false).Rule(r => r.When("beta", RuleOperator.IsTrue).Serve(true));
        flags.Flag("named").ValueForAll(false).Rule(r => r.When("name", RuleOperator.Equal, "Alice").Serve(true));
        flags.Flag("mail").ValueForAll(false).Rule(r => r.When("email", RuleOperator.EndsWith, "@contoso.com").Serve(true));
        flags.Flag("nl").ValueForAll(false).Rule(r => r.When("country", RuleOperator.Equal, "NL").Serve(true));
        await using var host = await StartAsync(flags);
        var context = Context("u1", "\"age\":42,\"beta\":true,\"name\":\"Alice\",\"email\":\"a@contoso.com\",\"country\":\"NL\",\"ignored\":null");

        foreach (var key in new[] { "age", "beta", "named", "mail", "nl" })
        {
            var response = await host.EvaluateAsync(key, context);
            Assert.Equal(200, response.Status);
            Assert.True(response.Json.GetProperty("value").GetBoolean(), key);
            Assert.Equal("TARGETING_MATCH", response.Json.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Evaluate_UnknownFlag_404FlagNotFound()
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAsync("no-such-flag", Context("u1"));

        Assert.Equal(404, response.Status);
        OfrepSchema.AssertFlagNotFound(response.Json, "no-such-flag");
    }

    [Fact]
    public async Task Evaluate_FlagNotListed_404FlagNotFound_ListedFlagServed()
    {
        await using var host = await StartAsync(Flags(), o => o.Flags = ["color"]);

        var hidden = await host.EvaluateAsync("bool-on", Context("u1"));
        var listed = await host.EvaluateAsync("color", Context("u1"));

        Assert.Equal(404, hidden.Status);
        OfrepSchema.AssertFlagNotFound(hidden.Json, "bool-on");
        Assert.Equal(200, listed.Status);
    }

    [Fact]
    public async Task Evaluate_RecordsOneEvaluationEventForTheContextsUser()
    {
        var flags = Flags();
        await using var host = await StartAsync(flags);

        await host.EvaluateAsync("color", Context("u-events"));

        var evaluation = Assert.Single(flags.Events.Evaluations, e => e.FlagKey == "color");
        Assert.Equal("u-events", evaluation.UserKey);
        Assert.Equal("blue", evaluation.Value);
    }

    [Fact]
    public async Task Evaluate_UnderPrefix_ServedThere()
    {
        await using var host = await StartAsync(Flags(), prefix: "/api/flags");

        var prefixed = await host.EvaluateAsync("color", Context("u1"), prefix: "/api/flags");
        var root = await host.EvaluateAsync("color", Context("u1"));

        Assert.Equal(200, prefixed.Status);
        Assert.Equal("blue", prefixed.Json.GetProperty("value").GetString());
        Assert.Equal(404, root.Status);
        Assert.Equal(string.Empty, root.Text);
    }

    [Fact]
    public async Task Evaluate_ClientNotReady_503GeneralError()
    {
        var app = TestHost.Build(config: TestHost.BaseConfig(), endpoints: a => a.MapOfrep());
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var host = TestHost.Attach(app);

        var single = await host.EvaluateAsync("color", Context("u1"));
        var bulk = await host.EvaluateAllAsync(Context("u1"));

        Assert.Equal(503, single.Status);
        OfrepSchema.AssertGeneralError(single.Json);
        Assert.Equal(503, bulk.Status);
        OfrepSchema.AssertGeneralError(bulk.Json);
    }

    [Fact]
    public async Task Evaluate_MalformedFlag_400ParseError()
    {
        var broken = Support.Flags.String("broken", "x");
        broken.Fallthrough!.Variations![0].Id = "dangling";
        await using var host = await TestHost.StartAsync(endpoints: a => a.MapOfrep(), flags: [broken, Support.Flags.Bool("fine", true)]);

        var single = await host.EvaluateAsync("broken", Context("u1"));
        var bulk = await host.EvaluateAllAsync(Context("u1"));

        Assert.Equal(400, single.Status);
        OfrepSchema.AssertEvaluationFailure(single.Json, "broken", "PARSE_ERROR");
        Assert.Equal(200, bulk.Status);
        var items = OfrepSchema.AssertBulkSuccess(bulk.Json);
        OfrepSchema.AssertEvaluationFailure(items.Single(i => i.GetProperty("key").GetString() == "broken"), "broken", "PARSE_ERROR");
        Assert.True(items.Single(i => i.GetProperty("key").GetString() == "fine").GetProperty("value").GetBoolean());
    }

    [Fact]
    public async Task Evaluate_JsonFlagWithInvalidJson_400ParseError()
    {
        var flag = Support.Flags.String("bad-json", "{not json");
        flag.VariationType = "json";
        await using var host = await TestHost.StartAsync(endpoints: a => a.MapOfrep(), flags: [flag]);

        var response = await host.EvaluateAsync("bad-json", Context("u1"));

        Assert.Equal(400, response.Status);
        OfrepSchema.AssertEvaluationFailure(response.Json, "bad-json", "PARSE_ERROR");
    }

    [Fact]
    public async Task Evaluate_ResponseIsNotCacheableByOthers()
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAsync("color", Context("u1"));

        Assert.True(response.Message.Headers.CacheControl?.Private);
        Assert.True(response.Message.Headers.CacheControl?.NoCache);
        Assert.Equal(JsonValueKind.Object, response.Json.ValueKind);
    }
}
