using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Gates;

/// <summary>
/// A gated endpoint never runs for a request whose gates the middleware did not evaluate, whatever the pipeline: the
/// request gets a 500 and one error per endpoint names the fix.
/// </summary>
public sealed class FailClosedTests
{
    private const string User = "sub=u1";

    /// <summary>Gated endpoints on every surface; their flags are all on, so only the missing evaluation can refuse them.</summary>
    public static TheoryData<string, string> Pipelines => new()
    {
        { "forgotten", "/mvc/gated" },
        { "forgotten", "/mvc/open/action" },
        { "forgotten", "/pages/gated" },
        { "forgotten", "/min/gated" },
        { "forgotten", "/grp/a" },
        { "before-routing", "/mvc/gated" },
        { "before-routing", "/mvc/open/action" },
        { "before-routing", "/pages/gated" },
        { "before-routing", "/min/gated" },
        { "before-routing", "/grp/b" },
    };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public async Task GatedEndpoint_GatesNotEvaluated_RefusedWith500AndNeverRuns(string pipeline, string path)
    {
        await using var host = await StartAsync(pipeline);

        var (status, body) = await host.GetAsync(path, User);

        Assert.Equal(500, status);
        Assert.DoesNotContain("gated", body, StringComparison.Ordinal);
        var error = Assert.Single(host.App.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 4002);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains("Call app.UseFeatureFlags() after UseRouting() and UseAuthentication()", error.Message, StringComparison.Ordinal);
        Assert.Contains(pipeline == "forgotten" ? "did not run for this request" : "before routing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatedEndpoint_RefusedRepeatedly_LoggedOncePerEndpoint()
    {
        await using var host = await StartAsync("forgotten");

        foreach (var path in (string[])["/min/gated", "/min/gated", "/mvc/gated", "/mvc/gated", "/pages/gated", "/pages/gated"])
        {
            Assert.Equal(500, (await host.GetAsync(path, User)).Status);
        }

        Assert.Equal(3, host.App.Services.GetFakeLogCollector().GetSnapshot().Count(r => r.Id.Id == 4002));
    }

    [Theory]
    [InlineData("forgotten")]
    [InlineData("before-routing")]
    public async Task UngatedEndpoint_GatesNotEvaluated_StillServed(string pipeline)
    {
        await using var host = await StartAsync(pipeline);

        Assert.Equal((200, "open"), await host.GetAsync("/min/open", User));
        Assert.Equal((200, "open"), await host.GetAsync("/mvc/open", User));
    }

    [Theory]
    [InlineData("/mvc/gated", "gated-controller")]
    [InlineData("/pages/gated", "gated-page")]
    [InlineData("/min/gated", "gated-min")]
    [InlineData("/grp/b", "group-b")]
    public async Task GatedEndpoint_MiddlewareAfterRouting_Served(string path, string expected)
    {
        await using var host = await StartAsync("after-routing");

        var (status, body) = await host.GetAsync(path, User);

        Assert.Equal(200, status);
        Assert.Contains(expected, body, StringComparison.Ordinal);
        Assert.DoesNotContain(host.App.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 4002);
    }

    [Fact]
    public async Task UseFeatureFlags_BeforeUseAuthentication_WarnsOnce()
    {
        await using var host = await StartAsync("before-authentication");

        await host.GetAsync("/min/open", User);
        await host.GetAsync("/min/open", User);

        var warning = Assert.Single(host.App.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 4003);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("after UseAuthentication()", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseFeatureFlags_AfterUseAuthentication_NoOrderWarning()
    {
        await using var host = await StartAsync("after-routing");

        await host.GetAsync("/min/open", User);
        await host.GetAsync("/min/open");

        Assert.DoesNotContain(host.App.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 4003);
    }

    private static async Task<TestHost> StartAsync(string pipeline)
    {
        var flags = new InMemoryFlags();
        flags.Update(f =>
        {
            foreach (var key in (string[])["ctrl-flag", "action-flag", "page-flag", "min-flag", "group-flag", "f-on"])
            {
                f.Flag(key).ValueForAll(true);
            }
        });
        var app = TestHost.Build(
            featureFlags: b => b.Services.AddLogging(l => l.AddFakeLogging()),
            inMemory: flags,
            pipeline: app => Pipeline(app, pipeline));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return TestHost.Attach(app);
    }

    private static void Pipeline(WebApplication app, string order)
    {
        switch (order)
        {
            case "forgotten":
                app.UseAuthentication();
                break;
            case "before-routing":
                app.UseAuthentication();
                app.UseFeatureFlags();
                app.UseRouting();
                break;
            case "before-authentication":
                app.UseRouting();
                app.UseFeatureFlags();
                app.UseAuthentication();
                break;
            default:
                app.UseRouting();
                app.UseAuthentication();
                app.UseFeatureFlags();
                break;
        }
    }
}
