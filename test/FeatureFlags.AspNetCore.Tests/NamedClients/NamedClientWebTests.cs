using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.NamedClients;

/// <summary>
/// A web app with the default client and a named client "eu" (issue 18), each faked by its own <see cref="InMemoryFlags"/>:
/// "checkout" is on in the default environment and off in "eu", "beta" on in "eu" only.
/// </summary>
public sealed class NamedClientWebTests
{
    [Theory]
    [InlineData("/min/named/default", 200)]
    [InlineData("/min/named/eu", 404)]
    [InlineData("/min/named/eu-beta", 200)]
    [InlineData("/mvc/named/default", 200)]
    [InlineData("/mvc/named/eu", 404)]
    [InlineData("/mvc/named/eu-beta", 200)]
    [Trait("Conformance", "API-02")]
    public async Task Gates_NameTheClient_EvaluateThatClientsFlags(string path, int expected)
    {
        var (main, eu) = Flags();
        await using var host = await StartAsync(main, eu);

        var (status, _) = await host.GetAsync(path, "sub=u1");

        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task TagHelper_NamesTheClient_RendersFromThatClientsFlags()
    {
        var (main, eu) = Flags();
        await using var host = await StartAsync(main, eu);

        var (status, body) = await host.GetAsync("/pages/named-tags", "sub=u1");

        Assert.Equal(200, status);
        Assert.Equal(["[default-checkout]", "[]", "[eu-beta]"], body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task KeyedScopedFlags_HaveTheRequestsUser_AndEachClientRecordsItsOwnEvents()
    {
        var (main, eu) = Flags();
        await using var host = await StartAsync(main, eu);

        var (status, body) = await host.GetAsync("/min/named/user", "sub=u1");

        Assert.Equal(200, status);
        Assert.Equal("u1:True:False", body);
        Assert.Contains(main.Events.Evaluations, e => e.FlagKey == "checkout" && e.UserKey == "u1");
        Assert.Contains(eu.Events.Evaluations, e => e.FlagKey == "checkout" && e.UserKey == "u1");
        Assert.DoesNotContain(main.Events.Evaluations, e => e.FlagKey == "beta");
        Assert.Single(main.Events.Evaluations, e => e.FlagKey == "checkout");
        Assert.Single(eu.Events.Evaluations, e => e.FlagKey == "checkout");
    }

    [Fact]
    public async Task HealthChecks_OneEntryPerClient()
    {
        var (main, eu) = Flags();
        await using var host = await StartAsync(main, eu);

        var report = await host.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["feature-flags", "feature-flags-eu"], report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.All(report.Entries.Values, e => Assert.Equal(HealthStatus.Healthy, e.Status));
        Assert.Equal(3, report.Entries["feature-flags-eu"].Data["flagCount"]);
        Assert.Equal(2, report.Entries["feature-flags"].Data["flagCount"]);
    }

    [Fact]
    public async Task Gate_NamesAnUnregisteredClient_FailsNamingTheFix()
    {
        var (main, _) = Flags();
        var app = TestHost.Build(
            inMemory: main,
            endpoints: a => a.MapGet("/min/named/missing", () => "x").RequireFeature("checkout", client: "us"));
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var host = TestHost.Attach(app);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.GetAsync("/min/named/missing", "sub=u1"));

        Assert.Contains("AddFeatureFlags(\"us\"", ex.Message, StringComparison.Ordinal);
    }

    private static (InMemoryFlags Main, InMemoryFlags Eu) Flags()
    {
        var main = new InMemoryFlags();
        main.Flag("checkout").On();
        main.Flag("beta").Off();
        var eu = new InMemoryFlags();
        eu.Flag("checkout").Off();
        eu.Flag("beta").On();
        eu.Flag("eu-only").On();
        return (main, eu);
    }

    private static async Task<TestHost> StartAsync(InMemoryFlags main, InMemoryFlags eu)
    {
        var app = TestHost.Build(
            inMemory: main,
            featureFlags: b =>
            {
                b.Services.AddFeatureFlags("eu", o => o.EnvSecret = "eu-secret");
                b.Services.AddInMemoryFeatureFlags("eu", eu);
                b.Services.AddHealthChecks().AddFeatureFlagsHealthCheck().AddFeatureFlagsHealthCheck(client: "eu");
            },
            endpoints: a =>
            {
                a.MapGet("/min/named/default", () => "default").RequireFeature("checkout");
                a.MapGet("/min/named/eu", () => "eu").RequireFeature("checkout", client: "eu");
                a.MapGet("/min/named/eu-beta", () => "eu-beta").RequireFeature(new FeatureGateAttribute("beta") { Client = "eu" });
                a.MapGet("/min/named/user", (IFeatureFlags flags, [FromKeyedServices("eu")] IFeatureFlags euFlags) =>
                    $"{euFlags.User?.Key}:{flags.IsEnabled("checkout")}:{euFlags.IsEnabled("checkout")}");
            });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return TestHost.Attach(app);
    }
}
