using System.Net;
using System.Text.Json;
using FeatureFlags.AspNetCore;

namespace FeatureFlags.AotSmoke;

/// <summary>
/// The ASP.NET Core package on <c>WebApplication.CreateSlimBuilder</c>, configured from <c>IConfiguration</c> (the
/// binding source generator): <c>UseFeatureFlags</c>, a minimal API gated by <c>RequireFeature</c>, a handler taking
/// the scoped <see cref="IFeatureFlags"/>, <c>MapFeatureFlags</c>, the health check and <c>MapOfrep</c>, called over loopback.
/// </summary>
internal static class WebSmoke
{
    public static async Task RunAsync(string bootstrapFile, SmokeChecks checks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:Offline"] = "true",
            ["FeatureFlags:BootstrapFile"] = bootstrapFile,
            ["FeatureFlags:User:AnonymousKeySource"] = "None",
        });

        // The smoke client names its user in a header; an anonymous header key would be namespaced (anon:alice), so an
        // enricher, the way for an app that trusts such a header, turns it into the user.
        builder.Services.AddFeatureFlags(builder.Configuration).AddUserEnricher<HeaderUserEnricher>();
        builder.Services.AddHealthChecks().AddFeatureFlagsHealthCheck();

        await using var app = builder.Build();
        app.UseFeatureFlags();
        app.MapGet("/checkout", () => "new checkout").RequireFeature("new-checkout");
        app.MapGet("/ui", (IFeatureFlags flags) => flags.StringVariation("checkout-ui", "v0"));
        app.MapGet("/banner", (IFeatureFlags flags) => flags.JsonVariation("banner", new Banner("none", "none"), SmokeJsonContext.Default.Banner).Color);
        app.MapGet("/track", (IFeatureFlags flags) =>
        {
            flags.Track("page-view");
            return "tracked";
        });
        app.MapFeatureFlags("/flags", o => o.Flags = ["checkout-ui", "banner"]);
        app.MapFeatureFlags("/flags/debug", o =>
        {
            o.Flags = ["checkout-ui"];
            o.IncludeReasons = true;
        });
        app.MapHealthChecks("/health");
        app.MapOfrep("/");
        await app.StartAsync();

        var address = app.Urls.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        Console.WriteLine($"web (slim builder, Kestrel on {address}):");

        checks.Equal("GET /checkout as alice (gate open)", "200 new checkout", await GetAsync(http, "/checkout", "alice"));
        checks.Equal("GET /checkout as bob (gate closed)", "404 ", await GetAsync(http, "/checkout", "bob"));
        checks.Equal("GET /ui as alice", "200 v2", await GetAsync(http, "/ui", "alice"));
        checks.Equal("GET /ui as bob", "200 v1", await GetAsync(http, "/ui", "bob"));
        checks.Equal("GET /banner", "200 green", await GetAsync(http, "/banner", "bob"));
        checks.Equal("GET /track", "200 tracked", await GetAsync(http, "/track", "bob"));
        checks.Equal("GET /health", "200 Healthy", await GetAsync(http, "/health", user: null));

        using (var flags = await GetJsonAsync(http, "/flags", checks))
        {
            var ui = flags.RootElement.GetProperty("checkout-ui");
            checks.Equal("GET /flags [checkout-ui]", "v2 reasons:False", $"{ui.GetProperty("value").GetString()} reasons:{ui.TryGetProperty("kind", out _)}");
            checks.Equal("GET /flags lists", "checkout-ui,banner", string.Join(',', flags.RootElement.EnumerateObject().Select(p => p.Name)));
        }

        using (var debug = await GetJsonAsync(http, "/flags/debug", checks))
        {
            var ui = debug.RootElement.GetProperty("checkout-ui");
            checks.Equal("GET /flags/debug [checkout-ui]", "v2 TargetMatch", $"{ui.GetProperty("value").GetString()} {ui.GetProperty("kind").GetString()}");
        }

        await OfrepAsync(http, checks);
        await app.StopAsync();
    }

    /// <summary>The OFREP endpoints (<c>MapOfrep</c>): a single evaluation, and the bulk one revalidated with its ETag.</summary>
    private static async Task OfrepAsync(HttpClient http, SmokeChecks checks)
    {
        const string Context = """{"context":{"targetingKey":"alice"}}""";
        using (var single = await http.PostAsync("/ofrep/v1/evaluate/flags/checkout-ui", new StringContent(Context, System.Text.Encoding.UTF8, "application/json")))
        using (var json = JsonDocument.Parse(await single.Content.ReadAsStringAsync()))
        {
            checks.Equal("POST OFREP checkout-ui as alice", "200 v2 TARGETING_MATCH", $"{(int)single.StatusCode} {json.RootElement.GetProperty("value").GetString()} {json.RootElement.GetProperty("reason").GetString()}");
        }

        using var bulk = await http.PostAsync("/ofrep/v1/evaluate/flags", new StringContent(Context, System.Text.Encoding.UTF8, "application/json"));
        checks.Equal("POST OFREP bulk status", HttpStatusCode.OK, bulk.StatusCode);
        using var again = new HttpRequestMessage(HttpMethod.Post, "/ofrep/v1/evaluate/flags") { Content = new StringContent(Context, System.Text.Encoding.UTF8, "application/json") };
        again.Headers.TryAddWithoutValidation("If-None-Match", bulk.Headers.ETag?.ToString());
        using var notModified = await http.SendAsync(again);
        checks.Equal("POST OFREP bulk with If-None-Match", HttpStatusCode.NotModified, notModified.StatusCode);
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient http, string path, SmokeChecks checks)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-user", "alice");
        using var response = await http.SendAsync(request);
        checks.Equal($"GET {path} status", HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> GetAsync(HttpClient http, string path, string? user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (user is not null)
        {
            request.Headers.Add("x-user", user);
        }

        using var response = await http.SendAsync(request);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }
}

/// <summary>The user named by the <c>x-user</c> header (trusted here: the smoke test is its only client).</summary>
internal sealed class HeaderUserEnricher : IFeatureFlagUserEnricher
{
    public ValueTask<FlagUser?> EnrichAsync(HttpContext context, FlagUser? user, CancellationToken cancellationToken)
        => ValueTask.FromResult(context.Request.Headers["x-user"] is [{ Length: > 0 } key] ? FlagUser.Builder(key).Build() : user);
}
