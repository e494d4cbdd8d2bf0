using System.Diagnostics;
using System.Security.Claims;
using BenchmarkDotNet.Attributes;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// One request through a real ASP.NET Core pipeline, in-process (no sockets): endpoint routing, the feature-flag
/// middleware and the endpoint, with a request scope and an authenticated user, as the host runs it. <c>Gated</c>
/// and <c>Ungated</c> differ only by a <c>RequireFeature</c> gate; <c>NoFeatureFlags</c> has no middleware at all.
/// <c>GatedNamedClient</c> runs in a second container that also has a named client "eu" (issue 18), and gates on that
/// client's flag: the request resolves the keyed scoped <see cref="IFeatureFlags"/> of "eu" (which takes the request's
/// user from the default one). The default-client benchmarks keep their container unchanged.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class GateBenchmarks
{
    private ServiceProvider _services = null!;
    private ServiceProvider _namedServices = null!;
    private IServiceScopeFactory _namedScopes = null!;
    private RequestDelegate _withNamedClient = null!;
    private IServiceScopeFactory _scopes = null!;
    private RequestDelegate _withFlags = null!;
    private RequestDelegate _withoutFlags = null!;
    private ClaimsPrincipal _user = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRouting();
        services.AddSingleton(new DiagnosticListener("GateBenchmarks"));
        services.AddFeatureFlags(o =>
        {
            o.EnvSecret = "benchmark";
            o.StartWaitTime = TimeSpan.Zero;
        });
        _services = services.BuildServiceProvider();
        _scopes = _services.GetRequiredService<IServiceScopeFactory>();
        _services.GetRequiredService<FlagStore>().ApplyFull([BoolFlag("new-checkout")], []);

        _withFlags = Pipeline(_services, app => app.UseFeatureFlags());
        _withoutFlags = Pipeline(_services, static _ => { });

        var named = new ServiceCollection();
        named.AddLogging();
        named.AddRouting();
        named.AddSingleton(new DiagnosticListener("GateBenchmarks.Named"));
        named.AddFeatureFlags(o =>
        {
            o.EnvSecret = "benchmark";
            o.StartWaitTime = TimeSpan.Zero;
        });
        named.AddFeatureFlags("eu", o =>
        {
            o.EnvSecret = "benchmark-eu";
            o.StartWaitTime = TimeSpan.Zero;
        });
        _namedServices = named.BuildServiceProvider();
        _namedScopes = _namedServices.GetRequiredService<IServiceScopeFactory>();
        _namedServices.GetRequiredService<FlagStore>().ApplyFull([BoolFlag("new-checkout")], []);
        _namedServices.GetRequiredKeyedService<ClientContainer>("eu").Services.GetRequiredService<FlagStore>().ApplyFull([BoolFlag("new-checkout")], []);
        _withNamedClient = Pipeline(_namedServices, app => app.UseFeatureFlags());
        _user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "user-42"), new Claim(ClaimTypes.Name, "Ada")], "bench"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _namedServices.Dispose();
    }

    [Benchmark(Baseline = true, Description = "no UseFeatureFlags")]
    public Task NoFeatureFlags() => SendAsync(_withoutFlags, "/ungated");

    [Benchmark(Description = "UseFeatureFlags, ungated endpoint")]
    public Task Ungated() => SendAsync(_withFlags, "/ungated");

    [Benchmark(Description = "UseFeatureFlags, gated endpoint (open)")]
    public Task Gated() => SendAsync(_withFlags, "/gated");

    [Benchmark(Description = "UseFeatureFlags, gated on a named client (keyed scoped IFeatureFlags, open)")]
    public Task GatedNamedClient() => SendAsync(_withNamedClient, "/gated-eu", _namedScopes);

    private async Task SendAsync(RequestDelegate pipeline, string path, IServiceScopeFactory? scopes = null)
    {
        await using var scope = (scopes ?? _scopes).CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = _user };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        await pipeline(context);
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"{path} returned {context.Response.StatusCode}.");
        }
    }

    private static RequestDelegate Pipeline(IServiceProvider services, Action<IApplicationBuilder> featureFlags)
    {
        var app = new ApplicationBuilder(services);
        app.UseRouting();
        featureFlags(app);
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapGet("/ungated", static _ => Task.CompletedTask);
            endpoints.MapGet("/gated", static _ => Task.CompletedTask).RequireFeature("new-checkout");
            endpoints.MapGet("/gated-eu", static _ => Task.CompletedTask).RequireFeature("new-checkout", client: "eu");
        });
        return app.Build();
    }

    private static FlagDto BoolFlag(string key) => new()
    {
        Id = "id-" + key,
        Key = key,
        VariationType = "boolean",
        Variations = [new VariationDto { Id = "on", Value = "true" }, new VariationDto { Id = "off", Value = "false" }],
        TargetUsers = [],
        Rules = [],
        IsEnabled = true,
        Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = "on", Rollout = [0, 1], ExptRollout = 1 }] },
        UpdatedAt = 1_700_000_000_000,
    };
}
