using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Users;

/// <summary>Anonymous visitors: the SDK-issued cookie key, the header key, and why neither can become someone else's identity.</summary>
public sealed class AnonymousUserTests
{
    private const string Cookie = "ff-anonymous-id";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Default_AnonymousVisitor_GetsAnIssuedCookieKeyAndFlagsForEveryone()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.Bool("f-on", true)]);

        using var response = await host.Client.GetAsync(new Uri("/user", UriKind.Relative), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        var value = CookieValue(setCookie);
        Assert.Matches("^[A-Za-z0-9_-]{22}$", value);
        Assert.Equal($"anon:{value}||||", body);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=31536000", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("true|Fallthrough|fall through targets and rules", (await host.GetAsync("/eval/f-on")).Body);
    }

    [Fact]
    public async Task IssuedCookie_SentBack_IsStickyAndNotReissued()
    {
        await using var host = await TestHost.StartAsync();
        using var first = await host.Client.GetAsync(new Uri("/user", UriKind.Relative), Ct);
        var value = CookieValue(Assert.Single(first.Headers.GetValues("Set-Cookie")));

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/user", UriKind.Relative));
        request.Headers.Add("Cookie", $"{Cookie}={value}");
        using var second = await host.Client.SendAsync(request, Ct);

        Assert.Equal($"anon:{value}||||", await second.Content.ReadAsStringAsync(Ct));
        Assert.False(second.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Https_IssuedCookie_IsSecure()
    {
        await using var host = await TestHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri("https://localhost/user"), Ct);

        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("vip-user-1")]
    [InlineData("anon:AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task CookieNotIssuedByTheSdk_IsReplacedAndNeverBecomesTheKey(string forged)
    {
        await using var host = await TestHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/user", UriKind.Relative));
        request.Headers.Add("Cookie", $"{Cookie}={forged}");
        using var response = await host.Client.SendAsync(request, Ct);

        var value = CookieValue(Assert.Single(response.Headers.GetValues("Set-Cookie")));
        Assert.NotEqual(forged, value);
        Assert.Equal($"anon:{value}||||", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Header_KeyIsNamespacedSoItCannotPassATargetedGate()
    {
        var config = Config(("AnonymousKeySource", "Header"), ("AnonymousKeyName", "X-Device-Id"));
        await using var host = await TestHost.StartAsync(config, flags: [Flags.BoolFor("min-flag", "vip-user-1"), Flags.Bool("f-on", true)]);

        Assert.Equal("anon:vip-user-1||||", (await host.GetAsync("/user", configure: Device("vip-user-1"))).Body);
        Assert.Equal(404, (await host.GetAsync("/min/gated", configure: Device("vip-user-1"))).Status);
        Assert.Equal(200, (await host.GetAsync("/min/gated", "sub=vip-user-1")).Status);
        Assert.Equal("true|Fallthrough|fall through targets and rules", (await host.GetAsync("/eval/f-on", configure: Device("dev-7"))).Body);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task Header_InvalidOrTooLong_NoUserAndADebugReason(string value)
    {
        var config = Config(("AnonymousKeySource", "Header"), ("AnonymousKeyName", "X-Device-Id"));
        await using var host = await StartWithLogsAsync(config);

        Assert.Equal("(none)", (await host.GetAsync("/user", configure: Device(value))).Body);

        var debug = Assert.Single(Logs(host), r => r.Id.Id == 4005);
        Assert.Equal(LogLevel.Debug, debug.Level);
        Assert.Contains("X-Device-Id", debug.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignedInUserWithoutKeyClaim_NoUserNotTheAnonymousKey_AndOneWarningNamingTheClaim()
    {
        var config = Config(("KeyClaim", "oid"), ("AnonymousKeySource", "Header"), ("AnonymousKeyName", "X-Device-Id"));
        await using var host = await StartWithLogsAsync(config);

        Assert.Equal("(none)", (await host.GetAsync("/user", "email=a@b.c", Device("dev-7"))).Body);
        Assert.Equal("(none)", (await host.GetAsync("/user", "email=a@b.c")).Body);

        var warning = Assert.Single(Logs(host), r => r.Id.Id == 4004);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("'oid'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureFlags:User:KeyClaim", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignedInUserWithoutKeyClaim_GetsNoCookie()
    {
        await using var host = await TestHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/user", UriKind.Relative));
        request.Headers.Add(TestAuthHandler.Header, "email=a@b.c");
        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal("(none)", await response.Content.ReadAsStringAsync(Ct));
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task SourceNone_NoCookieNoUser_AndADebugReason()
    {
        await using var host = await StartWithLogsAsync(Config(("AnonymousKeySource", "None")));

        using var response = await host.Client.GetAsync(new Uri("/eval/f-on", UriKind.Relative), Ct);

        Assert.Equal("default|Error|user not specified", await response.Content.ReadAsStringAsync(Ct));
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains("AnonymousKeySource is None", Assert.Single(Logs(host), r => r.Id.Id == 4005).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CookiePolicyWithoutConsent_NoCookieNoUser_UntilConsent()
    {
        var app = TestHost.Build(
            featureFlags: b => b.Services.Configure<CookiePolicyOptions>(o => o.CheckConsentNeeded = _ => true),
            pipeline: static app =>
            {
                app.UseCookiePolicy();
                app.UseAuthentication();
                app.UseFeatureFlags();
            });
        await app.StartAsync(Ct);
        await using var host = TestHost.Attach(app);

        using var response = await host.Client.GetAsync(new Uri("/user", UriKind.Relative), Ct);
        Assert.Equal("(none)", await response.Content.ReadAsStringAsync(Ct));
        Assert.False(response.Headers.Contains("Set-Cookie"));

        using var consented = new HttpRequestMessage(HttpMethod.Get, new Uri("/user", UriKind.Relative));
        consented.Headers.Add("Cookie", ".AspNet.Consent=yes");
        using var afterConsent = await host.Client.SendAsync(consented, Ct);
        Assert.StartsWith("anon:", await afterConsent.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains(afterConsent.Headers.GetValues("Set-Cookie"), c => c.StartsWith(Cookie + "=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CookieNameAndLifetime_Configurable_AndConfigureUsersRunsAfterConfiguration()
    {
        var config = Config(("AnonymousKeyName", "visitor"), ("AnonymousCookieLifetime", "30.00:00:00"));
        await using var host = await TestHost.StartAsync(config, featureFlags: b => b.ConfigureUsers(o => o.AnonymousKeyName = "visitor-2"));

        using var response = await host.Client.GetAsync(new Uri("/user", UriKind.Relative), Ct);

        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("visitor-2=", setCookie, StringComparison.Ordinal);
        Assert.Contains("max-age=2592000", setCookie, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("AnonymousKeyName", "bad name", "FeatureFlags:User:AnonymousKeyName must be a cookie or header name")]
    [InlineData("AnonymousCookieLifetime", "500.00:00:00", "FeatureFlags:User:AnonymousCookieLifetime must be greater than zero and at most 400 days")]
    [InlineData("AnonymousCookieLifetime", "00:00:00", "FeatureFlags:User:AnonymousCookieLifetime")]
    [InlineData("KeyClaim", "", "FeatureFlags:User:KeyClaim must not be empty")]
    [InlineData("AnonymousKeySource", "Query", "FeatureFlags:User:AnonymousKeySource")]
    [InlineData("AnonymousKeyNam", "x", "FeatureFlags:User:AnonymousKeyNam is not a FeatureFlags:User setting")]
    public async Task Start_InvalidUserOption_FailsNamingTheFullKey(string key, string value, string expected)
    {
        await using var app = TestHost.Build(Config((key, value)));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InvalidConfigureUsers_FailsNamingTheKey()
    {
        await using var app = TestHost.Build(featureFlags: b => b.ConfigureUsers(o => o.AnonymousKeyName = ""));

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Ct));

        Assert.Contains("FeatureFlags:User:AnonymousKeyName", ex.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Config(params (string Key, string Value)[] user)
    {
        var config = TestHost.BaseConfig();
        foreach (var (key, value) in user)
        {
            config["FeatureFlags:User:" + key] = value;
        }

        return config;
    }

    private static async Task<TestHost> StartWithLogsAsync(Dictionary<string, string?> config)
        => await TestHost.StartAsync(config, featureFlags: b => b.Services.AddLogging(l => l.AddFakeLogging().SetMinimumLevel(LogLevel.Debug)));

    private static IReadOnlyList<Microsoft.Extensions.Logging.Testing.FakeLogRecord> Logs(TestHost host)
        => host.App.Services.GetFakeLogCollector().GetSnapshot();

    private static Action<HttpRequestMessage> Device(string value) => r => r.Headers.TryAddWithoutValidation("X-Device-Id", value);

    private static string CookieValue(string setCookie) => setCookie[(setCookie.IndexOf('=', StringComparison.Ordinal) + 1)..setCookie.IndexOf(';', StringComparison.Ordinal)];
}
