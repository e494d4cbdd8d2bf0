using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Sample;

/// <summary>The sample app, as the README's first command runs it: offline, from its bundled flags.json.</summary>
/// <remarks>
/// The sample's demo login signs in <c>?user=</c>; its enricher turns an anonymous visitor (the SDK-issued <c>anon:</c>
/// key) into alice.
/// </remarks>
public sealed class SampleAppTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_Root_IsAPageWithTheFlagFromTheBootstrapFileAndEveryDemo()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/", UriKind.Relative), Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1 id=\"welcome\">Hello from flags.json</h1>", html, StringComparison.Ordinal);
        foreach (var demo in new[] { "/flags?user=alice", "/beta?user=alice", "/beta?user=carol", "/checkout?user=alice", "/api/reports", "/api/flags?user=alice", "/api/flags", "/health" })
        {
            Assert.Contains($"href=\"{demo}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("action=\"/buy?user=alice\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_Rejected_AnswersWithAProblemDetailsBodyABrowserShows()
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/beta?user=carol", UriKind.Relative));
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"); // a browser's

        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":404", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
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
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), Ct);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("alice", "Checkout UI v2")]
    [InlineData("bob", "Checkout UI v1")]
    public async Task Checkout_TagHelper_ShowsTheUserVariation(string user, string expected)
    {
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync(new Uri($"/checkout?user={user}", UriKind.Relative), Ct);

        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.Contains("Total for 3 items: $26.97", html, StringComparison.Ordinal); // 3 x $9.99 x 0.9 with new-checkout on
    }

    [Fact]
    public async Task Checkout_BootstrapTag_WritesOnlyTheClientSideFlags()
    {
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync(new Uri("/checkout?user=alice", UriKind.Relative), Ct);

        Assert.Contains("<script type=\"application/json\" id=\"featbit-bootstrap\" data-user-key=\"alice\">[{\"id\":\"checkout-ui\",\"variation\":\"v2\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\"id\":\"new-checkout\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlagsPage_ListsEveryFlagForTheDemoUser()
    {
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync(new Uri("/flags?user=alice", UriKind.Relative), Ct);

        Assert.Contains("Flags for alice", html, StringComparison.Ordinal);
        Assert.Contains("max-cart-items", html, StringComparison.Ordinal);
        Assert.Contains("You are in the beta.", html, StringComparison.Ordinal);
        Assert.Contains("Status: Ready", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Buy_EvaluatesThenTracks()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(new Uri("/buy?user=alice", UriKind.Relative), null, Ct);

        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"checkout\":\"v2\"", json, StringComparison.Ordinal);
        Assert.Contains("\"total\":26.97,\"formatted\":\"$26.97\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiFlags_SignedOut_Unauthorized()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/flags", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("checkout-ui", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiFlags_SignedIn_OnlyTheFrontEndsFlagsWithoutReasons()
    {
        using var client = factory.CreateClient();

        var json = await client.GetStringAsync(new Uri("/api/flags?user=alice", UriKind.Relative), Ct);

        using var flags = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(["new-checkout", "checkout-ui", "banner"], flags.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("v2", flags.RootElement.GetProperty("checkout-ui").GetProperty("value").GetString());
        Assert.DoesNotContain("kind", json, StringComparison.Ordinal);
        Assert.DoesNotContain("TargetMatch", json, StringComparison.Ordinal);
        Assert.DoesNotContain("welcome-text", json, StringComparison.Ordinal);
    }
}
