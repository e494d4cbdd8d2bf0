using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Gates;

public sealed class RejectionTests
{
    private const string User = "sub=u1";

    private static InMemoryFlags FlagOff()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f-off").ValueForAll(false);
        return flags;
    }

    [Fact]
    public async Task PerGateStatusCode_OverridesDefault()
    {
        await using var host = await TestHost.StartAsync(FlagOff());

        Assert.Equal(403, (await host.GetAsync("/min/status", User)).Status);
    }

    [Fact]
    public async Task PerGateRedirect_Redirects()
    {
        await using var host = await TestHost.StartAsync(FlagOff());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/min/redirect", UriKind.Relative));
        request.Headers.Add(TestAuthHandler.Header, User);

        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(302, (int)response.StatusCode);
        Assert.Equal("/elsewhere", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task GlobalStatusCode_AppliesToGatesWithoutTheirOwn()
    {
        await using var host = await TestHost.StartAsync(FlagOff(), b => b.ConfigureGates(o => o.RejectionStatusCode = 410));

        Assert.Equal(410, (await host.GetAsync("/min/gated", User)).Status);
        Assert.Equal(410, (await host.GetAsync("/pages/gated", User)).Status);
        Assert.Equal(403, (await host.GetAsync("/min/status", User)).Status);
    }

    [Fact]
    public async Task GlobalRedirect_RedirectsRejectedRequests()
    {
        await using var host = await TestHost.StartAsync(featureFlags: b => b.ConfigureGates(o => o.RedirectTo = "/coming-soon"));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/mvc/gated", UriKind.Relative));

        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(302, (int)response.StatusCode);
        Assert.Equal("/coming-soon", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task GlobalHandler_WritesTheResponseAndSeesTheGate()
    {
        await using var host = await TestHost.StartAsync(featureFlags: b => b.ConfigureGates(o => o.OnRejected = async (context, rejection) =>
        {
            context.Response.StatusCode = StatusCodes.Status451UnavailableForLegalReasons;
            await context.Response.WriteAsync("closed:" + string.Join(",", rejection.Gate.Flags));
        }));

        var (status, body) = await host.GetAsync("/min/all", User);

        Assert.Equal(451, status);
        Assert.Equal("closed:f-on,f-off", body);
    }
}
