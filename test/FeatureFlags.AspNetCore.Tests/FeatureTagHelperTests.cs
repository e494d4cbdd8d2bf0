using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests;

public sealed class FeatureTagHelperTests
{
    [Fact]
    public async Task Render_RendersContentOnlyWhenTheFeatureIsOn()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("f-on", true), Flags.Bool("f-off", false), Flags.String("color", "blue")]);

        var (status, body) = await host.GetAsync("/pages/tags", "sub=u1");

        Assert.Equal(200, status);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["[on]", "[]", "[not-off]", "[blue]", "[]", "[any]", "[]"], lines);
        Assert.DoesNotContain("<feature", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_AnonymousVisitor_FlagOnForEveryone_Rendered()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("f-on", true), Flags.Bool("f-off", false), Flags.String("color", "blue")]);

        var (_, body) = await host.GetAsync("/pages/tags");

        Assert.Contains("[on]", body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Render_NoUser_OnlyNegatedContent()
    {
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.ConfigureUsers(o => o.AnonymousKeySource = AnonymousKeySource.None),
            flags: [Flags.Bool("f-on", true), Flags.Bool("f-off", false), Flags.String("color", "blue")]);

        var (_, body) = await host.GetAsync("/pages/tags");

        Assert.Equal(["[]", "[]", "[not-off]", "[]", "[]", "[]", "[]"], body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
