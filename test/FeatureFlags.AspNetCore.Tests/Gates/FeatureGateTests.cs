using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Model.Internal;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Gates;

public sealed class FeatureGateTests
{
    private const string User = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier=u1";

    private static FlagDto[] AllOn(bool on) =>
    [
        Flags.Bool("ctrl-flag", on), Flags.Bool("action-flag", on), Flags.Bool("page-flag", on), Flags.Bool("min-flag", on),
        Flags.Bool("group-flag", on), Flags.Bool("f-on", true), Flags.Bool("f-off", false), Flags.String("color", "blue"),
    ];

    [Theory]
    [InlineData("/mvc/gated", "gated-controller")]
    [InlineData("/mvc/gated/both", "gated-both")]
    [InlineData("/mvc/open/action", "gated-action")]
    [InlineData("/pages/gated", "gated-page")]
    [InlineData("/min/gated", "gated-min")]
    [InlineData("/grp/a", "group-a")]
    [InlineData("/grp/b", "group-b")]
    public async Task Gate_FlagOn_EndpointRuns(string path, string expected)
    {
        await using var host = await TestHost.StartAsync(flags: AllOn(true));

        var (status, body) = await host.GetAsync(path, User);

        Assert.Equal(200, status);
        Assert.Contains(expected, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/mvc/gated")]
    [InlineData("/mvc/gated/both")]
    [InlineData("/mvc/open/action")]
    [InlineData("/pages/gated")]
    [InlineData("/min/gated")]
    [InlineData("/grp/a")]
    [InlineData("/grp/b")]
    public async Task Gate_FlagOff_Rejects404(string path)
    {
        await using var host = await TestHost.StartAsync(flags: AllOn(false));

        var (status, body) = await host.GetAsync(path, User);

        Assert.Equal(404, status);
        Assert.Empty(body);
    }

    [Fact]
    public async Task Gate_ControllerOnActionOff_BothGatesMustPass()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("ctrl-flag", true), Flags.Bool("action-flag", false)]);

        Assert.Equal(200, (await host.GetAsync("/mvc/gated", User)).Status);
        Assert.Equal(404, (await host.GetAsync("/mvc/gated/both", User)).Status);
    }

    [Fact]
    public async Task Gate_GroupOnEndpointOff_BothGatesMustPass()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("group-flag", true), Flags.Bool("f-on", false)]);

        Assert.Equal(200, (await host.GetAsync("/grp/a", User)).Status);
        Assert.Equal(404, (await host.GetAsync("/grp/b", User)).Status);
    }

    [Theory]
    [InlineData("/min/all", 404)]
    [InlineData("/min/all-on", 200)]
    [InlineData("/min/any", 200)]
    [InlineData("/min/any-off", 404)]
    [InlineData("/min/negate", 200)]
    [InlineData("/min/negate-on", 404)]
    [InlineData("/min/variation", 200)]
    [InlineData("/min/variation-red", 404)]
    [InlineData("/mvc/open/variation", 200)]
    [InlineData("/mvc/open/any", 200)]
    [InlineData("/mvc/open", 200)]
    [InlineData("/min/open", 200)]
    public async Task Gate_Requirements_AllAnyNegateVariation(string path, int expected)
    {
        await using var host = await TestHost.StartAsync(flags: AllOn(true));

        Assert.Equal(expected, (await host.GetAsync(path, User)).Status);
    }

    [Fact]
    public async Task Gate_NoUser_FlagsReturnDefaultsSoGateIsClosed()
    {
        await using var host = await TestHost.StartAsync(flags: AllOn(true));

        Assert.Equal(404, (await host.GetAsync("/min/gated")).Status);
        Assert.Equal(200, (await host.GetAsync("/min/open")).Status);
    }

    [Fact]
    public async Task Gate_StoreNotLoaded_ClosedAndNegatedGateOpen()
    {
        await using var host = await TestHost.StartAsync();

        Assert.Equal(404, (await host.GetAsync("/min/gated", User)).Status);
        Assert.Equal(200, (await host.GetAsync("/min/negate", User)).Status);
    }

    [Fact]
    public async Task Gate_FlagFlipsBetweenRequests_NextRequestSeesIt()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("min-flag", false)]);
        Assert.Equal(404, (await host.GetAsync("/min/gated", User)).Status);

        host.Store.ApplyPatch([Flags.Bool("min-flag", true, Flags.Version + 1)], []);

        Assert.Equal(200, (await host.GetAsync("/min/gated", User)).Status);
    }

    [Fact]
    public void Attribute_NoFlags_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FeatureGateAttribute());
        Assert.Throws<ArgumentException>(() => new FeatureGateAttribute(FeatureGateRequirement.Any, "a", " "));
    }
}
