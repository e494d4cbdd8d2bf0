using System.Text.Json;
using System.Text.RegularExpressions;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.FrontEnd;

public sealed partial class BootstrapTagHelperTests
{
    private const string Hostile = "</script><script>alert(1)</script><!--\u2028\u2029'\"&";

    [Fact]
    public async Task Render_AllowListed_WritesFeatBitBootstrapArray()
    {
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.ConfigureClientSide(o => o.Flags = ["f-on", "color", "missing"]),
            flags: [Flags.Bool("f-on", true), Flags.String("color", "blue"), Flags.Bool("server-only", true)]);

        var (status, body) = await host.GetAsync("/pages/bootstrap", "sub=u1");

        Assert.Equal(200, status);
        var (attributes, json) = Scripts(body)[0];
        Assert.Contains("type=\"application/json\"", attributes, StringComparison.Ordinal);
        Assert.Contains("id=\"featbit-bootstrap\"", attributes, StringComparison.Ordinal);
        Assert.Contains("data-user-key=\"u1\"", attributes, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        var flags = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, flags.Count);
        Assert.Equal("f-on", flags[0].GetProperty("id").GetString());
        Assert.Equal("true", flags[0].GetProperty("variation").GetString());
        var option = Assert.Single(flags[0].GetProperty("variationOptions").EnumerateArray());
        Assert.Equal("v0", option.GetProperty("id").GetString());
        Assert.Equal("true", option.GetProperty("value").GetString());
        Assert.Equal("color", flags[1].GetProperty("id").GetString());
        Assert.Equal("blue", flags[1].GetProperty("variation").GetString());
        Assert.DoesNotContain("server-only", body, StringComparison.Ordinal);

        var (secondAttributes, _) = Scripts(body)[1];
        Assert.Contains("id=\"second\"", secondAttributes, StringComparison.Ordinal);
        Assert.DoesNotContain("data-user-key", secondAttributes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_NoAllowList_WritesEmptyArrayAndWarnsOnce()
    {
        var logs = new FakeLogCollector();
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.Services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)),
            flags: [Flags.Bool("f-on", true)]);

        var (_, first) = await host.GetAsync("/pages/bootstrap", "sub=u1");
        await host.GetAsync("/pages/bootstrap", "sub=u2");

        Assert.All(Scripts(first), s => Assert.Equal("[]", s.Json));
        var warning = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4030);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("FeatureFlags:ClientSide:Flags", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_NoUser_WritesEmptyArray()
    {
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.ConfigureUsers(o => o.AnonymousKeySource = AnonymousKeySource.None).ConfigureClientSide(o => o.Flags = ["f-on"]),
            flags: [Flags.Bool("f-on", true)]);

        var (_, body) = await host.GetAsync("/pages/bootstrap");

        Assert.Equal("[]", Scripts(body)[0].Json);
        Assert.DoesNotContain("data-user-key", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_HostileFlagValuesAndKeys_CannotLeaveTheScriptElement()
    {
        var hostileKey = "k" + Hostile;
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.ConfigureClientSide(o => o.Flags = ["evil", hostileKey]),
            flags: [Flags.String("evil", Hostile), Flags.String(hostileKey, Hostile)]);

        var (status, body) = await host.GetAsync("/pages/bootstrap", "sub=u1");

        Assert.Equal(200, status);
        // Two tags, two script elements, each closed once: nothing in the JSON closed one early or opened another.
        Assert.Equal(2, Regex.Count(body, "<script", RegexOptions.IgnoreCase));
        Assert.Equal(2, Regex.Count(body, "</script", RegexOptions.IgnoreCase));
        Assert.DoesNotContain("<!--", body, StringComparison.Ordinal);
        Assert.DoesNotContain('\u2028', body);
        Assert.DoesNotContain('\u2029', body);
        using var doc = JsonDocument.Parse(Scripts(body)[0].Json);
        var flags = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, flags.Count);
        Assert.Equal(Hostile, flags[0].GetProperty("variation").GetString());
        Assert.Equal(hostileKey, flags[1].GetProperty("id").GetString());
    }

    [Fact]
    public void Write_EscapesEveryHtmlSensitiveCharacter()
    {
        var options = Options.Create(new FeatureFlagsOptions());
        var store = new FlagStore(options, new FakeLogger<FlagStore>());
        store.ApplyFull([Flags.String(Hostile, Hostile)], []);
        var state = new FeatureFlagClient(store, options).GetAllFlags(FlagUser.Create("u1"));

        var json = FeatureFlagsBootstrapTagHelper.Write([Hostile], state);

        foreach (var c in "<>&'\u2028\u2029")
        {
            Assert.DoesNotContain(c, json);
        }

        using var doc = JsonDocument.Parse(json);
        Assert.Equal(Hostile, doc.RootElement[0].GetProperty("id").GetString());
        Assert.Equal(Hostile, doc.RootElement[0].GetProperty("variation").GetString());
    }

    [Theory]
    [InlineData("FeatureFlags:ClientSide:Flags:0", " ", "FeatureFlags:ClientSide:Flags:0")]
    [InlineData("FeatureFlags:ClientSide:Flag:0", "f-on", "FeatureFlags:ClientSide:Flag")]
    [InlineData("FeatureFlags:PageViews:Pages:bad:0", "checkout", "FeatureFlags:PageViews:Pages:bad:0")]
    [InlineData("FeatureFlags:PageViews:Page:bad:0", "/checkout", "FeatureFlags:PageViews:Page")]
    public async Task Start_BadClientSideOrPageViewSettings_FailsNamingTheKey(string key, string value, string named)
    {
        var config = TestHost.BaseConfig();
        config[key] = value;

        var app = TestHost.Build(config);
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        await app.DisposeAsync();

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The attributes and the JSON content of each <c>script</c> element of the page.</summary>
    private static List<(string Attributes, string Json)> Scripts(string body)
        => [.. ScriptElement().Matches(body).Select(static m => (m.Groups[1].Value, m.Groups[2].Value))];

    [GeneratedRegex("<script([^>]*)>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptElement();
}
