using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Gates;

/// <summary>Gates on every surface, with flags from the FeatureFlags.Testing package (as our users' tests set them).</summary>
public sealed class FeatureGateTests
{
    private const string User = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier=u1";

    private static InMemoryFlags AllOn(bool on)
    {
        var flags = new InMemoryFlags();
        flags.Update(f =>
        {
            foreach (var key in (string[])["ctrl-flag", "action-flag", "page-flag", "min-flag", "group-flag"])
            {
                f.Flag(key).ValueForAll(on);
            }

            f.Flag("f-on").ValueForAll(true);
            f.Flag("f-off").ValueForAll(false);
            f.Flag("color").ValueForAll("blue");
        });
        return flags;
    }

    private static InMemoryFlags With(params (string Key, bool On)[] values)
    {
        var flags = new InMemoryFlags();
        foreach (var (key, on) in values)
        {
            flags.Flag(key).ValueForAll(on);
        }

        return flags;
    }

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
        await using var host = await TestHost.StartAsync(AllOn(true));

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
        await using var host = await TestHost.StartAsync(AllOn(false));

        var (status, body) = await host.GetAsync(path, User);

        Assert.Equal(404, status);
        Assert.Empty(body);
    }

    [Fact]
    public async Task Gate_ControllerOnActionOff_BothGatesMustPass()
    {
        await using var host = await TestHost.StartAsync(With(("ctrl-flag", true), ("action-flag", false)));

        Assert.Equal(200, (await host.GetAsync("/mvc/gated", User)).Status);
        Assert.Equal(404, (await host.GetAsync("/mvc/gated/both", User)).Status);
    }

    [Fact]
    public async Task Gate_GroupOnEndpointOff_BothGatesMustPass()
    {
        await using var host = await TestHost.StartAsync(With(("group-flag", true), ("f-on", false)));

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
        await using var host = await TestHost.StartAsync(AllOn(true));

        Assert.Equal(expected, (await host.GetAsync(path, User)).Status);
    }

    [Fact]
    public async Task Gate_AnonymousVisitor_FlagOnForEveryone_Open()
    {
        await using var host = await TestHost.StartAsync(AllOn(true));

        Assert.Equal(200, (await host.GetAsync("/min/gated")).Status);
        Assert.Equal(200, (await host.GetAsync("/mvc/gated")).Status);
        Assert.Equal(200, (await host.GetAsync("/pages/gated")).Status);
    }

    [Fact]
    public async Task Gate_NoUser_FlagsReturnDefaultsSoGateIsClosed()
    {
        await using var host = await TestHost.StartAsync(AllOn(true), b => b.ConfigureUsers(o => o.AnonymousKeySource = AnonymousKeySource.None));

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
        var flags = With(("min-flag", false));
        await using var host = await TestHost.StartAsync(flags);
        Assert.Equal(404, (await host.GetAsync("/min/gated", User)).Status);

        flags.Flag("min-flag").On();

        Assert.Equal(200, (await host.GetAsync("/min/gated", User)).Status);
    }

    [Fact]
    public async Task Gate_TargetedUser_OnlyTheyPass()
    {
        var flags = new InMemoryFlags();
        flags.Flag("min-flag").ForUser("u1", true);
        await using var host = await TestHost.StartAsync(flags);

        Assert.Equal(200, (await host.GetAsync("/min/gated", User)).Status);
        Assert.Equal(404, (await host.GetAsync("/min/gated", "sub=u2")).Status);
    }

    [Fact]
    [Trait("Conformance", "EVT-01")]
    public async Task Gate_Evaluation_IsAnEvaluationEventForTheRequestUser()
    {
        var flags = With(("min-flag", true));
        await using var host = await TestHost.StartAsync(flags);

        await host.GetAsync("/min/gated", User);

        var evaluation = Assert.Single(flags.Events.Evaluations);
        Assert.Equal(("min-flag", "u1", "true"), (evaluation.FlagKey, evaluation.UserKey, evaluation.Value));
    }

    [Fact]
    public void Attribute_NoFlags_Throws()
    {
        Assert.Throws<ArgumentException>(() => new FeatureGateAttribute());
        Assert.Throws<ArgumentException>(() => new FeatureGateAttribute(FeatureGateRequirement.Any, "a", " "));
    }
}
