using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Testing;
using Xunit;
using static FeatureFlags.AspNetCore.Tests.Ofrep.OfrepHost;

namespace FeatureFlags.AspNetCore.Tests.Ofrep;

/// <summary>
/// Who may call the OFREP endpoints (the authorization policy: 401 / 403 as the OFREP document lists them) and which
/// client they evaluate (a named client), and what mapping refuses at startup.
/// </summary>
public sealed class OfrepAuthorizationTests
{
    private static InMemoryFlags Flags()
    {
        var flags = new InMemoryFlags();
        flags.Flag("color").ValueForAll("blue");
        return flags;
    }

    [Fact]
    public async Task Policy_Anonymous_401_WrongClaims_403_Allowed_200()
    {
        await using var host = await StartAsync(Flags(), o => o.AuthorizationPolicy = "ofrep");

        var anonymous = await host.EvaluateAsync("color", Context("u1"));
        var forbidden = await host.EvaluateAsync("color", Context("u1"), claims: "sub=u1");
        var allowed = await host.EvaluateAsync("color", Context("u1"), claims: "sub=u1;scope=flags");
        var bulkAnonymous = await host.EvaluateAllAsync(Context("u1"));
        var bulkAllowed = await host.EvaluateAllAsync(Context("u1"), claims: "sub=u1;scope=flags");

        Assert.Equal(401, anonymous.Status);
        Assert.Equal(403, forbidden.Status);
        Assert.Equal(200, allowed.Status);
        Assert.Equal(401, bulkAnonymous.Status);
        Assert.Equal(200, bulkAllowed.Status);
    }

    [Fact]
    public async Task RequireAuthorization_OnTheReturnedBuilder_Applies()
    {
        var app = TestHost.Build(
            inMemory: Flags(),
            featureFlags: b => b.Services.AddAuthorization(),
            pipeline: a =>
            {
                a.UseAuthentication();
                a.UseAuthorization();
            },
            endpoints: a => a.MapOfrep("/").RequireAuthorization());
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var host = TestHost.Attach(app);

        Assert.Equal(401, (await host.EvaluateAsync("color", Context("u1"))).Status);
        Assert.Equal(200, (await host.EvaluateAsync("color", Context("u1"), claims: "sub=u1")).Status);
    }

    [Fact]
    public async Task NoPolicy_AnswersAnyone()
    {
        await using var host = await StartAsync(Flags());

        Assert.Equal(200, (await host.EvaluateAsync("color", Context("u1"))).Status);
    }

    [Fact]
    public async Task Client_Named_EvaluatesThatClientsFlags()
    {
        var eu = new InMemoryFlags();
        eu.Flag("color").ValueForAll("eu-green");
        await using var host = await StartAsync(
            Flags(),
            o => o.Client = "eu",
            featureFlags: b =>
            {
                b.Services.AddFeatureFlags("eu", o => o.EnvSecret = "eu-secret");
                b.Services.AddInMemoryFeatureFlags("eu", eu);
            });

        var single = await host.EvaluateAsync("color", Context("u1"));
        var bulk = await host.EvaluateAllAsync(Context("u1"));

        Assert.Equal("eu-green", single.Json.GetProperty("value").GetString());
        Assert.Equal("eu-green", OfrepSchema.AssertBulkSuccess(bulk.Json).Single().GetProperty("value").GetString());
        Assert.Single(eu.Events.Evaluations);
    }

    [Fact]
    public void Map_UnregisteredClient_Throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TestHost.Build(inMemory: Flags(), endpoints: a => a.MapOfrep("/", o => o.Client = "nope")));

        Assert.Contains("AddFeatureFlags(\"nope\"", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, null, " ")]
    [InlineData(-1, null, null)]
    [InlineData(1024, " ", null)]
    public void Map_InvalidOptions_Throws(int maxBody, string? policy, string? flag)
    {
        Assert.Throws<InvalidOperationException>(() => TestHost.Build(inMemory: Flags(), endpoints: a => a.MapOfrep("/", o =>
        {
            o.MaxRequestBodySize = maxBody;
            o.AuthorizationPolicy = policy;
            o.Flags = flag is null ? [] : [flag];
        })));
    }
}
