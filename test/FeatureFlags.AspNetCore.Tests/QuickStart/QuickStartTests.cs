extern alias QuickStart;

using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.QuickStart;

/// <summary>
/// The README quick start, pasted into a blank <c>dotnet new web</c> app (test/FeatureFlags.QuickStart) with a bootstrap
/// file: an anonymous visitor is served the flag values, with no enricher and no sign-in.
/// </summary>
public sealed class QuickStartTests(WebApplicationFactory<QuickStart::Program> factory) : IClassFixture<WebApplicationFactory<QuickStart::Program>>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnonymousVisitor_IsServedTheFlagValues()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        Assert.Equal("Hello from the quick start", await client.GetStringAsync(new Uri("/", UriKind.Relative), Ct));
        Assert.Equal("You are in the beta.", await client.GetStringAsync(new Uri("/beta", UriKind.Relative), Ct));
    }

    [Fact]
    public async Task AnonymousVisitor_GetsAStickyCookieKey()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        using var first = await client.GetAsync(new Uri("/", UriKind.Relative), Ct);
        var setCookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("ff-anonymous-id=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie[..setCookie.IndexOf(';', StringComparison.Ordinal)];

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/beta", UriKind.Relative));
        request.Headers.Add("Cookie", cookie);
        using var second = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Health_IsHealthyFromTheBootstrapFile()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
