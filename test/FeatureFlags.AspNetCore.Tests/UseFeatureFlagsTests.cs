using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Store.Internal;
using Microsoft.AspNetCore.TestHost;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests;

public sealed class UseFeatureFlagsTests
{
    [Fact]
    public async Task ExplicitRouting_AfterUseRoutingAndAuthentication_EnforcesGatesWithTheUser()
    {
        await using var app = Build(app =>
        {
            app.UseRouting();
            app.UseAuthentication();
            app.UseFeatureFlags();
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        app.Services.GetRequiredService<FlagStore>().ApplyFull([Flags.BoolFor("min-flag", "u1")], []);
        using var client = app.GetTestClient();

        Assert.Equal(200, (int)(await Send(client, "sub=u1")).StatusCode);
        Assert.Equal(404, (int)(await Send(client, "sub=u2")).StatusCode);
        Assert.Equal(404, (int)(await Send(client, null)).StatusCode);
    }

    [Fact]
    public void WithoutAddFeatureFlags_FailsWithAClearMessage()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.UseFeatureFlags());

        Assert.Contains("AddFeatureFlags", ex.Message, StringComparison.Ordinal);
    }

    private static WebApplication Build(Action<WebApplication> pipeline)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(TestHost.BaseConfig());
        builder.Services.AddFeatureFlags(builder.Configuration);
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        var app = builder.Build();
        pipeline(app);
        app.MapGet("/gated", () => "gated").RequireFeature("min-flag");
        return app;
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, string? claims)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/gated", UriKind.Relative));
        if (claims is not null)
        {
            request.Headers.Add(TestAuthHandler.Header, claims);
        }

        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
