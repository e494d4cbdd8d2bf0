using System.Diagnostics;
using System.Security.Claims;
using BenchmarkDotNet.Attributes;
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
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class GateBenchmarks
{
    private ServiceProvider _services = null!;
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

        _withFlags = Pipeline(app => app.UseFeatureFlags());
        _withoutFlags = Pipeline(static _ => { });
        _user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "user-42"), new Claim(ClaimTypes.Name, "Ada")], "bench"));
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "no UseFeatureFlags")]
    public Task NoFeatureFlags() => SendAsync(_withoutFlags, "/ungated");

    [Benchmark(Description = "UseFeatureFlags, ungated endpoint")]
    public Task Ungated() => SendAsync(_withFlags, "/ungated");

    [Benchmark(Description = "UseFeatureFlags, gated endpoint (open)")]
    public Task Gated() => SendAsync(_withFlags, "/gated");

    private async Task SendAsync(RequestDelegate pipeline, string path)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = _user };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        await pipeline(context);
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"{path} returned {context.Response.StatusCode}.");
        }
    }

    private RequestDelegate Pipeline(Action<IApplicationBuilder> featureFlags)
    {
        var app = new ApplicationBuilder(_services);
        app.UseRouting();
        featureFlags(app);
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapGet("/ungated", static _ => Task.CompletedTask);
            endpoints.MapGet("/gated", static _ => Task.CompletedTask).RequireFeature("new-checkout");
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
