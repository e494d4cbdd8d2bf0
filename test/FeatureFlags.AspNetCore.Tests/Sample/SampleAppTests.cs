using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Sample;

/// <summary>The sample app, as the README's first command runs it: offline, from its bundled flags.json.</summary>
/// <remarks>
/// The sample picks its demo user (<c>?user=alice</c>) in an enricher that only fills in a missing user. Since anonymous
/// visitors get an SDK-issued key by default, the sample needs <c>"User": { "AnonymousKeySource": "None" }</c> in its
/// appsettings.json (or an enricher that replaces <c>anon:</c> users); until then these tests set it.
/// </remarks>
public sealed class SampleAppTests(WebApplicationFactory<Program> sample) : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory = sample.WithWebHostBuilder(b => b.UseSetting("FeatureFlags:User:AnonymousKeySource", "None"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_Root_ServesTheFlagFromTheBootstrapFile()
    {
        using var client = _factory.CreateClient();

        var text = await client.GetStringAsync(new Uri("/", UriKind.Relative), Ct);

        Assert.Equal("Hello from flags.json", text);
    }

    [Theory]
    [InlineData("/beta?user=alice", HttpStatusCode.OK)]
    [InlineData("/beta?user=carol", HttpStatusCode.NotFound)]
    [InlineData("/checkout?user=alice", HttpStatusCode.OK)]
    [InlineData("/checkout?user=carol", HttpStatusCode.NotFound)]
    [InlineData("/api/reports", HttpStatusCode.OK)]
    [InlineData("/health", HttpStatusCode.OK)]
    public async Task Gates_MinimalApiRazorPageAndController_FollowTheFlags(string path, HttpStatusCode expected)
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), Ct);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("alice", "Checkout UI v2")]
    [InlineData("bob", "Checkout UI v1")]
    public async Task Checkout_TagHelper_ShowsTheUserVariation(string user, string expected)
    {
        using var client = _factory.CreateClient();

        var html = await client.GetStringAsync(new Uri($"/checkout?user={user}", UriKind.Relative), Ct);

        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.Contains("Total for 3 items: 26", html, StringComparison.Ordinal); // 3 x 9.99 x 0.9 with new-checkout on
    }

    [Fact]
    public async Task FlagsPage_ListsEveryFlagForTheDemoUser()
    {
        using var client = _factory.CreateClient();

        var html = await client.GetStringAsync(new Uri("/flags?user=alice", UriKind.Relative), Ct);

        Assert.Contains("Flags for alice", html, StringComparison.Ordinal);
        Assert.Contains("max-cart-items", html, StringComparison.Ordinal);
        Assert.Contains("You are in the beta.", html, StringComparison.Ordinal);
        Assert.Contains("Status: Ready", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Buy_EvaluatesThenTracks()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsync(new Uri("/buy?user=alice", UriKind.Relative), null, Ct);

        response.EnsureSuccessStatusCode();
        Assert.Contains("\"checkout\":\"v2\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
