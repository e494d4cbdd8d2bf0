using FeatureFlags.Testing;
using Xunit;
using static FeatureFlags.AspNetCore.Tests.Ofrep.OfrepHost;

namespace FeatureFlags.AspNetCore.Tests.Ofrep;

/// <summary>
/// Bad requests: 400 with OFREP's evaluationFailure (single flag, <c>key</c> + <c>errorCode</c>) or bulkEvaluationFailure
/// (bulk, <c>errorCode</c>), per the OFREP OpenAPI document (open-feature/protocol service/openapi.yaml); nothing escapes.
/// </summary>
public sealed class OfrepBadInputTests
{
    private static InMemoryFlags Flags()
    {
        var flags = new InMemoryFlags();
        flags.Flag("color").ValueForAll("blue");
        return flags;
    }

    public static TheoryData<string?, string> BadBodies() => new()
    {
        { null, "TARGETING_KEY_MISSING" },
        { "", "TARGETING_KEY_MISSING" },
        { "{}", "TARGETING_KEY_MISSING" },
        { """{"context":null}""", "TARGETING_KEY_MISSING" },
        { """{"context":{}}""", "TARGETING_KEY_MISSING" },
        { """{"context":{"targetingKey":""}}""", "TARGETING_KEY_MISSING" },
        { """{"context":{"plan":"pro"}}""", "TARGETING_KEY_MISSING" },
        { "{\"context\":", "PARSE_ERROR" },
        { "not json", "PARSE_ERROR" },
        { """{"context":{"targetingKey":"u1",}}""", "PARSE_ERROR" },
        { "[1,2]", "INVALID_CONTEXT" },
        { """{"context":"u1"}""", "INVALID_CONTEXT" },
        { """{"context":{"targetingKey":42}}""", "INVALID_CONTEXT" },
        { """{"context":{"targetingKey":"u1","groups":["a","b"]}}""", "INVALID_CONTEXT" },
        { """{"context":{"targetingKey":"u1","address":{"city":"Paris"}}}""", "INVALID_CONTEXT" },
        { """{"context":{"targetingKey":"u1","":"blank name"}}""", "INVALID_CONTEXT" },
        { "{\"context\":{\"targetingKey\":\"" + new string('k', FlagUser.MaxKeyLength + 1) + "\"}}", "INVALID_CONTEXT" },
        { "{\"context\":{\"targetingKey\":\"u1\",\"plan\":\"" + new string('v', FlagUser.MaxValueLength + 1) + "\"}}", "INVALID_CONTEXT" },
        { "{\"context\":{\"targetingKey\":\"u1\",\"name\":\"" + new string('v', FlagUser.MaxValueLength + 1) + "\"}}", "INVALID_CONTEXT" },
        { "{\"context\":{\"targetingKey\":\"u1\",\"" + new string('n', FlagUser.MaxAttributeNameLength + 1) + "\":\"v\"}}", "INVALID_CONTEXT" },
        { TooManyAttributes(), "INVALID_CONTEXT" },
        { new string('[', 100) + new string(']', 100), "PARSE_ERROR" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Evaluate_BadRequest_400EvaluationFailure(string? body, string errorCode)
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAsync("color", body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/json", response.ContentType()?.MediaType);
        OfrepSchema.AssertEvaluationFailure(response.Json, "color", errorCode);
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task EvaluateAll_BadRequest_400BulkEvaluationFailure(string? body, string errorCode)
    {
        await using var host = await StartAsync(Flags());

        var response = await host.EvaluateAllAsync(body);

        Assert.Equal(400, response.Status);
        OfrepSchema.AssertBulkFailure(response.Json, errorCode);
    }

    [Fact]
    public async Task Evaluate_MaxAttributes_Accepted()
    {
        await using var host = await StartAsync(Flags());
        var attributes = string.Join(',', Enumerable.Range(0, FlagUser.MaxCustomAttributes).Select(i => $"\"a{i}\":{i}"));

        var response = await host.EvaluateAsync("color", Context("u1", attributes + ",\"name\":\"n\",\"email\":\"e\",\"country\":\"c\""));

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Evaluate_BodyOverLimit_400WithoutReadingIt()
    {
        await using var host = await StartAsync(Flags(), o => o.MaxRequestBodySize = 1024);
        var padding = new string(' ', 2048);

        var over = await host.EvaluateAsync("color", Context("u1") + padding);
        var under = await host.EvaluateAsync("color", Context("u1") + new string(' ', 512));

        Assert.Equal(400, over.Status);
        OfrepSchema.AssertEvaluationFailure(over.Json, "color", "INVALID_CONTEXT");
        Assert.Contains("1024 bytes", over.Json.GetProperty("errorDetails").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, under.Status);
    }

    [Fact]
    public async Task Evaluate_ChunkedBodyOverLimit_400()
    {
        await using var host = await StartAsync(Flags(), o => o.MaxRequestBodySize = 1024);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(SingleFlagPath + "color", UriKind.Relative))
        {
            Content = new StreamContent(new UnknownLengthStream(new byte[1024 * 1024])),
        };

        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Null(request.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Evaluate_DefaultLimit_Is64KiB()
    {
        Assert.Equal(64 * 1024, new OfrepOptions().MaxRequestBodySize);
        await using var host = await StartAsync(Flags());

        var over = await host.EvaluateAllAsync(Context("u1") + new string(' ', 64 * 1024));

        Assert.Equal(400, over.Status);
        OfrepSchema.AssertBulkFailure(over.Json, "INVALID_CONTEXT");
    }

    [Fact]
    public async Task Evaluate_HostileStrings_EscapedInTheResponse()
    {
        var flags = new InMemoryFlags();
        flags.Flag("html").ValueForAll("</script><script>alert(1)</script>\u2028\"");
        await using var host = await StartAsync(flags);

        var response = await host.EvaluateAsync("html", Context("u1"));

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("</script>", response.Text, StringComparison.Ordinal);
        Assert.Equal("</script><script>alert(1)</script>\u2028\"", response.Json.GetProperty("value").GetString());
    }

    private static string TooManyAttributes()
        => Context("u1", string.Join(',', Enumerable.Range(0, FlagUser.MaxCustomAttributes + 1).Select(i => $"\"a{i}\":\"v\"")));

    /// <summary>A body sent without Content-Length (chunked): the limit must hold while reading.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
