using System.Security.Claims;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Users;

public sealed class ClaimsUserTests
{
    [Fact]
    public async Task DefaultMapping_ClaimTypes_BuildTheUser()
    {
        await using var host = await TestHost.StartAsync();
        var claims = TestAuthHandler.Encode(
            (ClaimTypes.NameIdentifier, "u-1"), (ClaimTypes.Name, "Ada"), (ClaimTypes.Email, "ada@example.com"), (ClaimTypes.Country, "GB"));

        var (_, body) = await host.GetAsync("/user", claims);

        Assert.Equal("u-1|Ada|ada@example.com|GB|", body);
    }

    [Fact]
    public async Task DefaultMapping_ShortJwtClaims_AreTheFallback()
    {
        await using var host = await TestHost.StartAsync();

        var (_, body) = await host.GetAsync("/user", TestAuthHandler.Encode(("sub", "s-1"), ("name", "Bob"), ("email", "b@x.io"), ("country", "FR")));

        Assert.Equal("s-1|Bob|b@x.io|FR|", body);
    }

    [Fact]
    public async Task CustomMapping_FromConfiguration_ReadsConfiguredClaims()
    {
        var config = TestHost.BaseConfig();
        config["FeatureFlags:User:KeyClaim"] = "oid";
        config["FeatureFlags:User:NameClaim"] = "display";
        config["FeatureFlags:User:CustomClaims:plan"] = "subscription";
        config["FeatureFlags:User:CustomClaims:tenant"] = "tid";
        await using var host = await TestHost.StartAsync(config, flags: [Flags.Rule("plan-rule", "plan", "premium")]);
        var claims = TestAuthHandler.Encode(("oid", "o-9"), ("display", "Cy"), ("subscription", "premium"), ("tid", "t-1"), ("sub", "ignored"));

        Assert.Equal("o-9|Cy|||plan=premium,tenant=t-1", (await host.GetAsync("/user", claims)).Body);
        Assert.Equal("hit|RuleMatch|match rule rule", (await host.GetAsync("/eval/plan-rule", claims)).Body);
        Assert.StartsWith("miss|", (await host.GetAsync("/eval/plan-rule", TestAuthHandler.Encode(("oid", "o-8")))).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enricher_AddsAttributesAndCanReplaceOrCreateTheUser()
    {
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.AddUserEnricher<PlanEnricher>().AddUserEnricher<PlanEnricher>()
                .ConfigureUsers(o => o.AnonymousKeySource = AnonymousKeySource.None),
            flags: [Flags.Rule("plan-rule", "plan", "gold"), Flags.Bool("min-flag", true)]);

        Assert.Equal("u-1||||plan=gold", (await host.GetAsync("/user", "sub=u-1")).Body);
        Assert.Equal("hit|RuleMatch|match rule rule", (await host.GetAsync("/eval/plan-rule", "sub=u-1")).Body);
        Assert.Equal("guest||||plan=free", (await host.GetAsync("/user")).Body);
        Assert.Equal(200, (await host.GetAsync("/min/gated")).Status);
    }

    [Fact]
    public void Enricher_RegisteredTwice_RegisteredOnce()
    {
        var services = new ServiceCollection();
        services.AddFeatureFlags(o => o.EnvSecret = "x").AddUserEnricher<PlanEnricher>().AddUserEnricher<PlanEnricher>();

        Assert.Single(services, d => d.ServiceType == typeof(IFeatureFlagUserEnricher));
    }

    private sealed class PlanEnricher : IFeatureFlagUserEnricher
    {
        public async ValueTask<FlagUser?> EnrichAsync(HttpContext context, FlagUser? user, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return user is null
                ? FlagUser.Builder("guest").Custom("plan", "free").Build()
                : FlagUser.Builder(user.Key).Name(user.Name).Custom("plan", "gold").Build();
        }
    }
}
