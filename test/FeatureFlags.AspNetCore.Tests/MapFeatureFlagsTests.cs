using System.Text.Json;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Model.Internal;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests;

public sealed class MapFeatureFlagsTests
{
    private const string SecretRule = "Employees: email EndsWith @secret-merger-target.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// The front end needs <c>checkout-ui</c> (served by a rule whose name carries a secret value) and <c>beta</c> (on for a
    /// target list); <c>kill-payments</c> is a server-only flag.
    /// </summary>
    private static FlagDto[] AttackFlags()
    {
        var checkout = Flags.Rule("checkout-ui", "email", "@secret-merger-target.com");
        checkout.Rules![0].Name = SecretRule;
        checkout.Rules[0].Conditions![0].Op = "EndsWith";
        return [checkout, Flags.BoolFor("beta", "u-target"), Flags.Bool("kill-payments", false)];
    }

    private static string Insider => TestAuthHandler.Encode(("sub", "u-target"), ("email", "ceo@secret-merger-target.com"));

    private static Action<WebApplication> Map(Action<FeatureFlagsEndpointOptions> configure)
        => app => app.MapFeatureFlags("/flags", configure);

    [Fact]
    public async Task Get_Flags_Default_OnlyListedFlagsWithValueAndVariationId()
    {
        // Before: every flag (server-only kill-payments too), each with "kind" and "reason", so the response read
        // "reason":"match rule Employees: email EndsWith @secret-merger-target.com" and "kind":"TargetMatch" for the caller.
        await using var host = await TestHost.StartAsync(endpoints: Map(o => o.Flags = ["checkout-ui", "beta"]), flags: AttackFlags());

        var (status, body) = await host.GetAsync("/flags", Insider);

        Assert.Equal(200, status);
        Assert.Equal("""{"checkout-ui":{"value":"hit","variationId":"v0"},"beta":{"value":"true","variationId":"v0"}}""", body);
        Assert.DoesNotContain("secret-merger-target", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Employees", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Target", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("kill-payments", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Flags_IncludeReasons_AddsKindAndReasonForListedFlagsOnly()
    {
        await using var host = await TestHost.StartAsync(
            endpoints: Map(o =>
            {
                o.Flags = ["checkout-ui", "beta"];
                o.IncludeReasons = true;
            }),
            flags: AttackFlags());

        var json = JsonDocument.Parse((await host.GetAsync("/flags", Insider)).Body).RootElement;

        var checkout = json.GetProperty("checkout-ui");
        Assert.Equal("RuleMatch", checkout.GetProperty("kind").GetString());
        Assert.Equal("match rule " + SecretRule, checkout.GetProperty("reason").GetString()); // what the opt-in reveals
        Assert.Equal("TargetMatch", json.GetProperty("beta").GetProperty("kind").GetString());
        Assert.False(json.TryGetProperty("kill-payments", out _));
    }

    [Fact]
    public async Task Get_Flags_ReturnsJsonNotCachedInListOrder()
    {
        await using var host = await TestHost.StartAsync(
            endpoints: Map(o => o.Flags = ["color", "f-on", "color"]),
            flags: [Flags.Bool("f-on", true), Flags.String("color", "blue")]);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/flags", UriKind.Relative));
        request.Headers.Add(TestAuthHandler.Header, "sub=u1");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(
            """{"color":{"value":"blue","variationId":"v0"},"f-on":{"value":"true","variationId":"v0"}}""",
            await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Get_Flags_ListedFlagMissing_LeftOut()
    {
        await using var host = await TestHost.StartAsync(endpoints: Map(o => o.Flags = ["missing", "f-on"]), flags: [Flags.Bool("f-on", true)]);

        Assert.Equal("""{"f-on":{"value":"true","variationId":"v0"}}""", (await host.GetAsync("/flags", "sub=u1")).Body);
    }

    [Fact]
    [Trait("Conformance", "CONF-05")]
    public async Task Get_Flags_ListChangedAfterMapping_NotExposed()
    {
        var options = new FeatureFlagsEndpointOptions { Flags = ["f-on"] };
        await using var host = await TestHost.StartAsync(
            endpoints: Map(o => o.Flags = options.Flags),
            flags: [Flags.Bool("f-on", true), Flags.Bool("server-only", true)]);

        options.Flags.Add("server-only");

        Assert.DoesNotContain("server-only", (await host.GetAsync("/flags", "sub=u1")).Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapFeatureFlags_NoFlagsListed_FailsAtStartupNamingTheOption(bool blankKey)
    {
        await using var app = TestHost.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapFeatureFlags("/api/flags", o =>
        {
            if (blankKey)
            {
                o.Flags = ["f-on", " "];
            }
        }));

        Assert.Contains("FeatureFlagsEndpointOptions.Flags", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Flags_AnonymousVisitor_FlagsForEveryone()
    {
        await using var host = await TestHost.StartAsync(endpoints: Map(o => o.Flags = ["f-on"]), flags: [Flags.Bool("f-on", true)]);

        Assert.Equal("""{"f-on":{"value":"true","variationId":"v0"}}""", (await host.GetAsync("/flags")).Body);
    }

    [Fact]
    public async Task Get_Flags_NoUser_EmptyObject()
    {
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.ConfigureUsers(o => o.AnonymousKeySource = AnonymousKeySource.None),
            endpoints: Map(o => o.Flags = ["f-on"]),
            flags: [Flags.Bool("f-on", true)]);

        Assert.Equal("{}", (await host.GetAsync("/flags")).Body);
    }

    [Fact]
    public async Task MapFeatureFlags_CustomPatternCanBeSecured()
    {
        await using var host = await TestHost.StartAsync(
            endpoints: app => app.MapFeatureFlags("/api/flags", o => o.Flags = ["f-on"]).RequireFeature("flags-endpoint"),
            flags: [Flags.Bool("f-on", true), Flags.Bool("flags-endpoint", false)]);

        Assert.Equal(404, (await host.GetAsync("/api/flags", "sub=u1")).Status);
    }
}
