using System.Text.Json;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests;

public sealed class MapFeatureFlagsTests
{
    [Fact]
    public async Task Get_Flags_ReturnsTheUsersEvaluatedFlagsAsJson()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("f-on", true), Flags.String("color", "blue")]);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/flags", UriKind.Relative));
        request.Headers.Add(TestAuthHandler.Header, "sub=u1");

        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var on = json.GetProperty("f-on");
        Assert.Equal("true", on.GetProperty("value").GetString());
        Assert.Equal("v0", on.GetProperty("variationId").GetString());
        Assert.Equal("Fallthrough", on.GetProperty("kind").GetString());
        Assert.Equal("fall through targets and rules", on.GetProperty("reason").GetString());
        Assert.Equal("blue", json.GetProperty("color").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Get_Flags_AnonymousVisitor_FlagsForEveryone()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("f-on", true)]);

        Assert.StartsWith("{\"f-on\":{\"value\":\"true\"", (await host.GetAsync("/flags")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Flags_NoUser_EmptyObject()
    {
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.ConfigureUsers(o => o.AnonymousKeySource = AnonymousKeySource.None),
            flags: [Flags.Bool("f-on", true)]);

        Assert.Equal("{}", (await host.GetAsync("/flags")).Body);
    }

    [Fact]
    public async Task MapFeatureFlags_CustomPatternCanBeSecured()
    {
        await using var host = await TestHost.StartAsync(
            endpoints: app => app.MapFeatureFlags("/api/flags").RequireFeature("flags-endpoint"),
            flags: [Flags.Bool("f-on", true), Flags.Bool("flags-endpoint", false)]);

        Assert.Equal(404, (await host.GetAsync("/api/flags", "sub=u1")).Status);
    }
}
