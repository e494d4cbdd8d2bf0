using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>
/// The example from docs/testing.md, against the sample app: its own Program, its own AddFeatureFlags, and one line in
/// ConfigureTestServices. The sample's flags.json is not read; the test's flags are the only source.
/// </summary>
public sealed class SampleAppTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly InMemoryFlags _flags = new();
    private readonly WebApplicationFactory<Program> _factory;

    public SampleAppTests(WebApplicationFactory<Program> factory)
    {
        _factory = factory.WithWebHostBuilder(b => b.ConfigureTestServices(services => services.AddInMemoryFeatureFlags(_flags)));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Checkout_OnForAlice_ShowsHerVariationAndTheDiscount()
    {
        _flags.Flag("new-checkout").ValueForAll(false).ForUser("alice", true);
        _flags.Flag("checkout-ui").ValueForAll("v1").ForUser("alice", "v2");
        _flags.Flag("max-cart-items").ValueForAll(10);
        using var client = _factory.CreateClient();

        var alice = await client.GetAsync(new Uri("/checkout?user=alice", UriKind.Relative), Ct);
        var bob = await client.GetAsync(new Uri("/checkout?user=bob", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        var html = await alice.Content.ReadAsStringAsync(Ct);
        Assert.Contains("Checkout UI v2", html, StringComparison.Ordinal);
        Assert.Contains("Total for 3 items: $26.97", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, bob.StatusCode);
    }

    [Fact]
    public async Task Checkout_GatedOnASegment_FollowsTheSegmentAsItChanges()
    {
        var beta = _flags.Segment("beta-testers").Include("alice");
        _flags.Flag("new-checkout").Rule(r => r.InSegment("beta-testers").Serve(true));
        using var client = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/checkout?user=alice", UriKind.Relative), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/checkout?user=bob", UriKind.Relative), Ct)).StatusCode);

        beta.Include("bob");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/checkout?user=bob", UriKind.Relative), Ct)).StatusCode);
    }

    [Fact]
    public async Task Gates_FlagChangedDuringTheTest_NextRequestFollows()
    {
        var reports = _flags.Flag("reports").On();
        using var client = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/reports", UriKind.Relative), Ct)).StatusCode);

        reports.Off();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/api/reports", UriKind.Relative), Ct)).StatusCode);
        using (_flags.Use("reports", true))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/reports", UriKind.Relative), Ct)).StatusCode);
        }
    }

    [Fact]
    public async Task Buy_RecordsTheEvaluationsThenThePurchase()
    {
        _flags.Flag("new-checkout").On();
        _flags.Flag("max-cart-items").ValueForAll(2);
        _flags.Flag("checkout-ui").Percentage(("v1", 50), ("v2", 50)).InExperiment();
        using var client = _factory.CreateClient();

        using var response = await client.PostAsync(new Uri("/buy?user=alice", UriKind.Relative), null, Ct);

        response.EnsureSuccessStatusCode();
        var purchase = Assert.Single(_flags.Events.Tracks);
        Assert.Equal("purchase", purchase.EventName);
        Assert.Equal("alice", purchase.UserKey);
        Assert.Equal(2 * 9.99 * 0.9, purchase.Value, precision: 2);
        var pricing = _flags.Events.Evaluations.Where(e => e.FlagKey is "max-cart-items" or "new-checkout").ToList();
        Assert.Equal(2, pricing.Count);
        Assert.All(pricing, e => Assert.True(e.Sequence < purchase.Sequence)); // evaluated before the Track, as experiments need
        var ui = Assert.Single(_flags.Events.Evaluations, e => e.FlagKey == "checkout-ui");
        Assert.True(ui.SendToExperiment);
        Assert.Contains($"\"checkout\":\"{ui.Value}\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_IsHealthyAndFollowsTheStatus()
    {
        using var client = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health", UriKind.Relative), Ct)).StatusCode);

        _flags.SetStatus(FeatureFlagsState.Off, "secret revoked");

        var response = await client.GetAsync(new Uri("/health", UriKind.Relative), Ct);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Home_ShowsTheWelcomeTextHtmlEncoded()
    {
        _flags.Flag("welcome-text").ValueForAll("<b>Hi</b> & welcome");
        using var client = _factory.CreateClient();

        var html = await client.GetStringAsync(new Uri("/", UriKind.Relative), Ct);

        Assert.Contains("<h1 id=\"welcome\">&lt;b&gt;Hi&lt;/b&gt; &amp; welcome</h1>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlagsPage_ShowsOnlyTheTestsFlags()
    {
        _flags.Flag("only-this").ValueForAll("x");
        using var client = _factory.CreateClient();

        var html = await client.GetStringAsync(new Uri("/flags?user=alice", UriKind.Relative), Ct);

        Assert.Contains("only-this", html, StringComparison.Ordinal);
        Assert.DoesNotContain("welcome-text", html, StringComparison.Ordinal); // flags.json is not loaded
        Assert.Contains("Status: Ready", html, StringComparison.Ordinal);
    }
}
