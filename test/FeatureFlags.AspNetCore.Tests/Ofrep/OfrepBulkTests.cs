using FeatureFlags.Testing;
using Xunit;
using static FeatureFlags.AspNetCore.Tests.Ofrep.OfrepHost;

namespace FeatureFlags.AspNetCore.Tests.Ofrep;

/// <summary>
/// <c>POST /ofrep/v1/evaluate/flags</c>: the 200 bulkEvaluationSuccess with its <c>ETag</c> header, and 304 when
/// <c>If-None-Match</c> names it (OFREP OpenAPI document, open-feature/protocol service/openapi.yaml).
/// </summary>
public sealed class OfrepBulkTests
{
    private static InMemoryFlags Flags()
    {
        var flags = new InMemoryFlags();
        flags.Flag("bool-on").ValueForAll(true);
        flags.Flag("color").ValueForAll("blue").ForUser("alice", "red");
        flags.Flag("limit").ValueForAll(42);
        flags.Flag("config").ValueForAll(FlagValue.Json("""{"theme":"dark"}"""));
        return flags;
    }

    [Fact]
    public async Task EvaluateAll_EveryFlagTyped_WithETag()
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAllAsync(Context("alice"));

        Assert.Equal(200, response.Status);
        Assert.NotNull(response.ETag());
        var items = OfrepSchema.AssertBulkSuccess(response.Json);
        Assert.Equal(["bool-on", "color", "config", "limit"], items.Select(i => i.GetProperty("key").GetString()));
        var byKey = items.ToDictionary(i => i.GetProperty("key").GetString()!);
        Assert.True(byKey["bool-on"].GetProperty("value").GetBoolean());
        Assert.Equal("red", byKey["color"].GetProperty("value").GetString());
        Assert.Equal("TARGETING_MATCH", byKey["color"].GetProperty("reason").GetString());
        Assert.Equal(42, byKey["limit"].GetProperty("value").GetInt32());
        Assert.Equal("dark", byKey["config"].GetProperty("value").GetProperty("theme").GetString());
    }

    [Fact]
    public async Task EvaluateAll_IfNoneMatchSameETag_304WithoutBody()
    {
        await using var host = await StartAsync(Flags());
        var first = await host.EvaluateAllAsync(Context("u1"));

        var second = await host.EvaluateAllAsync(Context("u1"), ifNoneMatch: first.ETag());
        var weak = await host.EvaluateAllAsync(Context("u1"), ifNoneMatch: "\"other\", W/" + first.ETag());
        var any = await host.EvaluateAllAsync(Context("u1"), ifNoneMatch: "*");

        Assert.Equal(304, second.Status);
        Assert.Equal(string.Empty, second.Text);
        Assert.Equal(first.ETag(), second.ETag());
        Assert.Equal(304, weak.Status);
        Assert.Equal(304, any.Status);
    }

    [Fact]
    public async Task EvaluateAll_FlagChanged_NewETagAnd200()
    {
        var flags = Flags();
        await using var host = await StartAsync(flags);
        var first = await host.EvaluateAllAsync(Context("u1"));

        flags.Flag("color").ValueForAll("green");
        var second = await host.EvaluateAllAsync(Context("u1"), ifNoneMatch: first.ETag());

        Assert.Equal(200, second.Status);
        Assert.NotEqual(first.ETag(), second.ETag());
        Assert.Contains(OfrepSchema.AssertBulkSuccess(second.Json), i => i.GetProperty("value").ValueKind == System.Text.Json.JsonValueKind.String && i.GetProperty("value").GetString() == "green");
    }

    [Fact]
    public async Task EvaluateAll_OtherContext_OtherETag()
    {
        await using var host = await StartAsync(Flags());
        var bob = await host.EvaluateAllAsync(Context("bob"));

        var alice = await host.EvaluateAllAsync(Context("alice"), ifNoneMatch: bob.ETag());

        Assert.Equal(200, alice.Status);
        Assert.NotEqual(bob.ETag(), alice.ETag());
    }

    [Fact]
    public async Task EvaluateAll_FlagsListed_OnlyThoseFlags()
    {
        await using var host = await StartAsync(Flags(), o => o.Flags = ["color", "limit"]);

        var response = await host.EvaluateAllAsync(Context("u1"));

        Assert.Equal(["color", "limit"], OfrepSchema.AssertBulkSuccess(response.Json).Select(i => i.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task EvaluateAll_RecordsNoEvaluationEvents()
    {
        var flags = Flags();
        await using var host = await StartAsync(flags);

        await host.EvaluateAllAsync(Context("u1"));

        Assert.Empty(flags.Events.Evaluations);
    }

    [Fact]
    public async Task EvaluateAll_NoFlags_EmptyArray()
    {
        await using var host = await StartAsync(new InMemoryFlags());

        var response = await host.EvaluateAllAsync(Context("u1"));

        Assert.Equal(200, response.Status);
        Assert.Equal("""{"flags":[]}""", response.Text);
    }
}
