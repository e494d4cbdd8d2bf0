using FeatureFlags.AspNetCore.Internal;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Microsoft.Extensions.FileProviders;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.FrontEnd;

/// <summary>
/// Server-side page views (<c>FeatureFlags:PageViews</c>) end to end: the app on a test server, its insight events posted
/// over real HTTP to a loopback FeatBit insight endpoint, read back as JSON.
/// </summary>
public sealed class PageViewTests
{
    [Fact]
    public async Task Get_ListedPage_RecordsFeatBitPageViewEvent()
    {
        await using var insight = await InsightEndpoint.StartAsync();
        await using (var host = await StartAsync(insight))
        {
            var (status, _) = await host.GetAsync("/checkout", "sub=u1");
            Assert.Equal(200, status);
            await FlushAsync(host);
        }

        var (user, metric) = Assert.Single(insight.PageViews());
        Assert.Equal("u1", user);
        Assert.Equal("dotnet-server-side", metric.GetProperty("appType").GetString());
        Assert.Equal("/checkout", metric.GetProperty("route").GetString());
        Assert.Equal("PageView", metric.GetProperty("type").GetString());
        Assert.Equal("checkout-viewed", metric.GetProperty("eventName").GetString());
        Assert.Equal(1, metric.GetProperty("numericValue").GetDouble());
        Assert.True(metric.GetProperty("timestamp").GetInt64() > 0);
        Assert.Equal(["appType", "route", "type", "eventName", "numericValue", "timestamp"], metric.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Get_RouteTemplateAndPrefixPatterns_RecordTheRequestPath()
    {
        await using var insight = await InsightEndpoint.StartAsync();
        await using (var host = await StartAsync(insight))
        {
            await host.GetAsync("/products/42", "sub=u1");
            await host.GetAsync("/docs/a/b", "sub=u1");
            await FlushAsync(host);
        }

        var views = insight.PageViews().Select(v => (v.Metric.GetProperty("eventName").GetString(), v.Metric.GetProperty("route").GetString())).ToList();
        Assert.Equal([("product-viewed", "/products/42"), ("docs-viewed", "/docs/a/b")], views);
    }

    [Fact]
    public async Task Request_StaticFileHealthCheckNotFoundPostSdkEndpoint_NotRecorded()
    {
        await using var insight = await InsightEndpoint.StartAsync();
        await using (var host = await StartAsync(insight, selector: static _ => "any-page"))
        {
            Assert.Equal(200, (await host.GetAsync("/site.css", "sub=u1")).Status);
            Assert.Equal(200, (await host.GetAsync("/health", "sub=u1")).Status);
            Assert.Equal(404, (await host.GetAsync("/missing", "sub=u1")).Status);
            Assert.Equal(200, (await host.GetAsync("/api/flags", "sub=u1")).Status);
            Assert.Equal(200, (await SendAsync(host, HttpMethod.Post, "/checkout")).Status);

            // The sentinel: a page the selector names, recorded.
            Assert.Equal(200, (await host.GetAsync("/min/open", "sub=u1")).Status);
            await FlushAsync(host);
        }

        var (_, metric) = Assert.Single(insight.PageViews());
        Assert.Equal("/min/open", metric.GetProperty("route").GetString());
        Assert.Equal("any-page", metric.GetProperty("eventName").GetString());
    }

    [Fact]
    public async Task Get_AnonymousVisitorWithoutKey_NotRecorded()
    {
        await using var insight = await InsightEndpoint.StartAsync();
        await using (var host = await StartAsync(insight, anonymous: AnonymousKeySource.None))
        {
            Assert.Equal(200, (await host.GetAsync("/checkout")).Status);
            Assert.Equal(200, (await host.GetAsync("/checkout", "sub=u2")).Status);
            await FlushAsync(host);
        }

        var (user, _) = Assert.Single(insight.PageViews());
        Assert.Equal("u2", user);
    }

    [Fact]
    public async Task Get_NoPageViewSettings_NothingRecorded()
    {
        await using var insight = await InsightEndpoint.StartAsync();
        var config = Config(insight);
        foreach (var key in config.Keys.Where(k => k.StartsWith("FeatureFlags:PageViews", StringComparison.Ordinal)).ToList())
        {
            config.Remove(key);
        }

        await using (var host = await TestHost.StartAsync(config, b => b.Services.AddHealthChecks(), MapPages, Flags.Bool("f-on", true)))
        {
            await host.GetAsync("/checkout", "sub=u1");
            await FlushAsync(host);
        }

        Assert.Empty(insight.PageViews());
    }

    [Theory]
    [InlineData("/site.css", true)]
    [InlineData("/js/app.min.js", true)]
    [InlineData("/checkout", false)]
    [InlineData("/v1.2/checkout", false)]
    [InlineData("/", false)]
    [InlineData("/trailing.", false)]
    public void HasFileExtension_LastSegmentOnly(string path, bool expected)
        => Assert.Equal(expected, PageViewRecorder.HasFileExtension(new PathString(path)));

    private static Dictionary<string, string?> Config(InsightEndpoint insight)
    {
        var config = TestHost.BaseConfig();
        config["FeatureFlags:Events:Enabled"] = "true";
        config["FeatureFlags:Events:Uri"] = insight.BaseUri.ToString();
        config["FeatureFlags:PageViews:Pages:checkout-viewed:0"] = "/checkout";
        config["FeatureFlags:PageViews:Pages:product-viewed:0"] = "/products/{id}";
        config["FeatureFlags:PageViews:Pages:docs-viewed"] = "/docs/*";
        return config;
    }

    private static async Task<TestHost> StartAsync(
        InsightEndpoint insight, Func<HttpContext, string?>? selector = null, AnonymousKeySource anonymous = AnonymousKeySource.Cookie)
    {
        var files = Directory.CreateTempSubdirectory("featureflags-pageviews-").FullName;
        await File.WriteAllTextAsync(Path.Combine(files, "site.css"), "body{}", TestContext.Current.CancellationToken);
        var app = TestHost.Build(
            Config(insight),
            featureFlags: b =>
            {
                b.ConfigureUsers(o => o.AnonymousKeySource = anonymous);
                b.ConfigurePageViews(o => o.EventNameSelector = selector);
                b.Services.AddHealthChecks();
            },
            endpoints: MapPages,
            pipeline: app =>
            {
                app.UseAuthentication();
                app.UseFeatureFlags();
                app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(files) });
            });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var host = TestHost.Attach(app);
        host.Store.ApplyFull([Flags.Bool("f-on", true)], []);
        return host;
    }

    private static void MapPages(WebApplication app)
    {
        app.MapGet("/checkout", () => "checkout");
        app.MapPost("/checkout", () => "posted");
        app.MapGet("/products/{id}", (string id) => id);
        app.MapGet("/docs/{**path}", (string path) => path);
        app.MapHealthChecks("/health");
        app.MapFeatureFlags("/api/flags", o => o.Flags = ["f-on"]);
    }

    private static Task FlushAsync(TestHost host)
        => host.App.Services.GetRequiredService<IFeatureFlagClient>().FlushAsync(TestContext.Current.CancellationToken);

    private static async Task<(int Status, string Body)> SendAsync(TestHost host, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Add(TestAuthHandler.Header, "sub=u1");
        using var response = await host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
