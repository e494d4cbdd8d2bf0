using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Ofrep;

/// <summary>The response of an OFREP call: status, headers and the body as JSON (default when empty).</summary>
internal sealed record OfrepResponse(int Status, HttpResponseMessage Message, string Text)
{
    public JsonElement Json => JsonDocument.Parse(Text).RootElement;
}

/// <summary>A test app serving <see cref="InMemoryFlags"/> with <c>app.MapOfrep(...)</c>, and OFREP calls to it.</summary>
internal static class OfrepHost
{
    public const string SingleFlagPath = "/ofrep/v1/evaluate/flags/";
    public const string BulkPath = "/ofrep/v1/evaluate/flags";

    public static async Task<TestHost> StartAsync(
        InMemoryFlags flags, Action<OfrepOptions>? configure = null, string prefix = "/", Action<IFeatureFlagsBuilder>? featureFlags = null)
    {
        var app = TestHost.Build(
            inMemory: flags,
            featureFlags: b =>
            {
                b.Services.AddAuthorizationBuilder().AddPolicy("ofrep", p => p.RequireClaim("scope", "flags"));
                featureFlags?.Invoke(b);
            },
            pipeline: a =>
            {
                a.UseAuthentication();
                a.UseAuthorization();
                a.UseFeatureFlags();
            },
            endpoints: a => a.MapOfrep(prefix, configure));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return TestHost.Attach(app);
    }

    public static Task<OfrepResponse> EvaluateAsync(this TestHost host, string key, string? body, string? claims = null, string prefix = "")
        => host.PostAsync(prefix + SingleFlagPath + Uri.EscapeDataString(key), body, claims);

    public static Task<OfrepResponse> EvaluateAllAsync(this TestHost host, string? body, string? ifNoneMatch = null, string? claims = null, string prefix = "")
        => host.PostAsync(prefix + BulkPath, body, claims, ifNoneMatch);

    public static string Context(string targetingKey, string attributes = "")
        => "{\"context\":{\"targetingKey\":" + JsonSerializer.Serialize(targetingKey) + (attributes.Length > 0 ? "," + attributes : "") + "}}";

    public static async Task<OfrepResponse> PostAsync(this TestHost host, string path, string? body, string? claims = null, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (claims is not null)
        {
            request.Headers.Add(TestAuthHandler.Header, claims);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new OfrepResponse((int)response.StatusCode, response, text);
    }

    public static string? ETag(this OfrepResponse response) => response.Message.Headers.ETag?.ToString();

    public static MediaTypeHeaderValue? ContentType(this OfrepResponse response) => response.Message.Content.Headers.ContentType;
}
