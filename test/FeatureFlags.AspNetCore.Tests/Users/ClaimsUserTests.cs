using System.Security.Claims;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Microsoft.Extensions.Options;
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
    public async Task KeyClaim_AtTheLimitIsTheKey_OneOverGivesNoUserNeverAnAnonymousKey_AndOneWarning()
    {
        var config = TestHost.BaseConfig();
        config["FeatureFlags:User:AnonymousKeySource"] = "Header";
        config["FeatureFlags:User:AnonymousKeyName"] = "X-Device-Id";
        await using var host = await TestHost.StartAsync(
            config, featureFlags: b => b.Services.AddLogging(l => l.AddFakeLogging().SetMinimumLevel(LogLevel.Debug)));
        var atLimit = new string('k', FlagUser.MaxKeyLength);
        var overLimit = new string('k', FlagUser.MaxKeyLength + 1);
        Action<HttpRequestMessage> device = r => r.Headers.TryAddWithoutValidation("X-Device-Id", "dev-7");

        Assert.Equal(atLimit + "||||", (await host.GetAsync("/user", TestAuthHandler.Encode(("sub", atLimit)))).Body);
        Assert.Equal("(none)", (await host.GetAsync("/user", TestAuthHandler.Encode(("sub", overLimit)), device)).Body);
        Assert.Equal("(none)", (await host.GetAsync("/user", TestAuthHandler.Encode(("sub", overLimit + "x")))).Body);

        var warning = Assert.Single(host.App.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 4006);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("'sub'", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(overLimit, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AttributeClaims_AtTheLimitKept_OneOverLeftOut()
    {
        var config = TestHost.BaseConfig();
        config["FeatureFlags:User:CustomClaims:plan"] = "plan";
        config["FeatureFlags:User:CustomClaims:tier"] = "tier";
        await using var host = await TestHost.StartAsync(config);
        var atLimit = new string('v', FlagUser.MaxValueLength);
        var overLimit = new string('v', FlagUser.MaxValueLength + 1);

        var (_, body) = await host.GetAsync("/user", TestAuthHandler.Encode(
            ("sub", "u-1"), ("name", atLimit), ("email", overLimit), ("country", overLimit), ("plan", atLimit), ("tier", overLimit)));

        Assert.Equal($"u-1|{atLimit}|||plan={atLimit}", body);
    }

    [Theory]
    [InlineData(FlagUser.MaxCustomAttributes + 1, 1, "FeatureFlags:User:CustomClaims maps 65 attributes; at most 64")]
    [InlineData(1, FlagUser.MaxAttributeNameLength + 1, "FeatureFlags:User:CustomClaims has an attribute name of 129 characters; at most 128")]
    public async Task Start_CustomClaimsOverTheLimits_FailsNamingTheKey(int count, int nameLength, string expected)
    {
        var config = TestHost.BaseConfig();
        for (var i = 0; i < count; i++)
        {
            config["FeatureFlags:User:CustomClaims:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(nameLength, 'a')] = "c" + i;
        }

        await using var app = TestHost.Build(config);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
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
