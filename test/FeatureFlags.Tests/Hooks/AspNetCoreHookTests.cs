using System.Net;
using FeatureFlags.Hooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FeatureFlags.Tests.Hooks;

/// <summary>Hooks run for the evaluations of an ASP.NET Core request: the scoped <c>IFeatureFlags</c> and a gate.</summary>
public sealed class AspNetCoreHookTests
{
    [Fact]
    public async Task Request_ScopedFlagsAndGate_RunTheHooksWithTheRequestsUser()
    {
        var hook = new RecordingHook("web");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AspNetCoreHookTests).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddFeatureFlags(o => o.Offline = true).AddHook(hook);
        await using var app = builder.Build();
        app.UseFeatureFlags();
        app.MapGet("/flags", (IFeatureFlags flags) => flags.StringVariation("text", "dflt"));
        app.MapGet("/gated", () => "open").RequireFeature("gate");
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var flagsBody = await http.GetStringAsync(new Uri("/flags", UriKind.Relative), TestContext.Current.CancellationToken);
        var userOfFlags = hook.LastAfter!.Value.User;
        using var gated = await http.GetAsync(new Uri("/gated", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal("dflt", flagsBody);
        Assert.Equal(HttpStatusCode.NotFound, gated.StatusCode);
        Assert.Equal(["web.before text", "web.after text", "web.before gate", "web.after gate"], hook.Log);
        Assert.False(string.IsNullOrEmpty(userOfFlags?.Key));
        Assert.Equal(("gate", FlagValueType.Bool, EvaluationReasonKind.ClientNotReady), (hook.LastAfter!.Value.FlagKey, hook.LastAfter!.Value.ValueType, hook.LastAfter!.Value.Kind));
        Assert.NotNull(hook.LastAfter!.Value.User);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
