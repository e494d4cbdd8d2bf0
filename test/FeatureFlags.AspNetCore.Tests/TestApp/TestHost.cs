using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Testing;
using Microsoft.AspNetCore.TestHost;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.TestApp;

/// <summary>
/// The test app (MVC controllers, Razor Pages and minimal APIs) on a <see cref="TestServer"/>, with the real
/// <c>AddFeatureFlags</c>/<c>UseFeatureFlags</c>. Either flags are served by an <see cref="InMemoryFlags"/> (the
/// FeatureFlags.Testing package, as our users' tests do), or wire flags are loaded into the app's real store while the
/// real sync service runs against a closed local port (StartWaitTime = 0), failing quietly in the background.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(WebApplication app)
    {
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    /// <summary>Wraps an app built with <see cref="Build"/> and already started.</summary>
    public static TestHost Attach(WebApplication app) => new(app);

    public HttpClient Client { get; }

    public FlagStore Store => App.Services.GetRequiredService<FlagStore>();

    public ConsistencyProbe Probe => App.Services.GetRequiredService<ConsistencyProbe>();

    private static readonly Lazy<string> EmptyContentRoot = new(() => Directory.CreateTempSubdirectory("featureflags-testhost-").FullName);

    public static Dictionary<string, string?> BaseConfig() => new()
    {
        ["FeatureFlags:EnvSecret"] = "test-secret-test-secret-test-secret-test-sec",
        ["FeatureFlags:Streaming:Uri"] = "ws://127.0.0.1:9",
        ["FeatureFlags:StartWaitTime"] = "00:00:00",

        // No event endpoint here: without this, each host's shutdown would retry its final event flush against a closed port.
        ["FeatureFlags:Events:Enabled"] = "false",
    };

    public static WebApplication Build(
        IDictionary<string, string?>? config = null,
        Action<IFeatureFlagsBuilder>? featureFlags = null,
        Action<WebApplication>? endpoints = null,
        InMemoryFlags? inMemory = null,
        Action<WebApplication>? pipeline = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TestHost).Assembly.GetName().Name,
            EnvironmentName = "Testing",

            // An empty content root: the sample app's appsettings.json is copied next to the test assembly (project
            // reference) and must not configure these hosts.
            ContentRootPath = EmptyContentRoot.Value,
        });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(config ?? (inMemory is null ? BaseConfig() : []));

        var flags = builder.Services.AddFeatureFlags(builder.Configuration);
        featureFlags?.Invoke(flags);
        if (inMemory is not null)
        {
            builder.Services.AddInMemoryFeatureFlags(inMemory);
        }

        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddControllersWithViews().AddApplicationPart(typeof(TestHost).Assembly);
        builder.Services.AddRazorPages();
        builder.Services.AddSingleton<ConsistencyProbe>();

        var app = builder.Build();
        if (pipeline is null)
        {
            app.UseAuthentication();
            app.UseFeatureFlags();
        }
        else
        {
            pipeline(app);
        }

        app.MapControllers();
        app.MapRazorPages();
        MapMinimalApis(app);
        endpoints?.Invoke(app);
        return app;
    }

    /// <summary>Starts the app serving <paramref name="flags"/> from memory: no sync service, events recorded in <see cref="InMemoryFlags.Events"/>.</summary>
    public static async Task<TestHost> StartAsync(InMemoryFlags flags, Action<IFeatureFlagsBuilder>? featureFlags = null)
    {
        var app = Build(featureFlags: featureFlags, inMemory: flags);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestHost(app);
    }

    public static async Task<TestHost> StartAsync(
        IDictionary<string, string?>? config = null,
        Action<IFeatureFlagsBuilder>? featureFlags = null,
        Action<WebApplication>? endpoints = null,
        params FlagDto[] flags)
    {
        var app = Build(config, featureFlags, endpoints);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var host = new TestHost(app);
        host.Store.ApplyFull(flags, []);
        return host;
    }

    public async Task<(int Status, string Body)> GetAsync(string path, string? claims = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (claims is not null)
        {
            request.Headers.Add(TestAuthHandler.Header, claims);
        }

        configure?.Invoke(request);
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }

    private static void MapMinimalApis(WebApplication app)
    {
        app.MapGet("/min/open", () => "open");
        app.MapGet("/min/gated", () => "gated-min").RequireFeature("min-flag");
        app.MapGet("/min/all", () => "all").RequireFeature(FeatureGateRequirement.All, "f-on", "f-off");
        app.MapGet("/min/all-on", () => "all-on").RequireFeature(FeatureGateRequirement.All, "f-on", "min-flag");
        app.MapGet("/min/any", () => "any").RequireFeature(FeatureGateRequirement.Any, "f-on", "f-off");
        app.MapGet("/min/any-off", () => "any-off").RequireFeature(FeatureGateRequirement.Any, "f-off", "missing");
        app.MapGet("/min/negate", () => "negate").RequireFeature(new FeatureGateAttribute("f-off") { Negate = true });
        app.MapGet("/min/negate-on", () => "negate-on").RequireFeature(new FeatureGateAttribute("f-on") { Negate = true });
        app.MapGet("/min/variation", () => "blue").RequireFeature(new FeatureGateAttribute("color") { Variation = "blue" });
        app.MapGet("/min/variation-red", () => "red").RequireFeature(new FeatureGateAttribute("color") { Variation = "red" });
        app.MapGet("/min/status", () => "status").RequireFeature(new FeatureGateAttribute("f-off") { StatusCode = 403 });
        app.MapGet("/min/redirect", () => "redirect").RequireFeature(new FeatureGateAttribute("f-off") { RedirectTo = "/elsewhere" });

        var group = app.MapGroup("/grp").RequireFeature("group-flag");
        group.MapGet("/a", () => "group-a");
        group.MapGet("/b", () => "group-b").RequireFeature("f-on");

        app.MapGet("/user", (IFeatureFlags flags) => flags.User is not { } u
            ? "(none)"
            : $"{u.Key}|{u.Name}|{u.Email}|{u.Country}|{string.Join(",", u.Custom.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key + "=" + c.Value))}");
        app.MapGet("/eval/{flag}", (string flag, IFeatureFlags flags) =>
        {
            var d = flags.StringVariationDetail(flag, "default");
            return $"{d.Value}|{d.Kind}|{d.Reason}";
        });
        app.MapGet("/consistency", async (IFeatureFlags flags, ConsistencyProbe probe) =>
        {
            var first = flags.StringVariation("color", "default");
            probe.Reached.TrySetResult();
            await probe.Proceed.Task;
            var second = flags.StringVariation("color", "default");
            return $"{first}|{second}|{flags.IsEnabled("f-on")}";
        });
    }
}

/// <summary>Lets a test pause a request in the middle (to land a flag update) and resume it.</summary>
internal sealed class ConsistencyProbe
{
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Proceed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
