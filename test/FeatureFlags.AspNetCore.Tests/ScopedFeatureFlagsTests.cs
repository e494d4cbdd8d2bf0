using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using FeatureFlags.Store.Internal;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests;

public sealed class ScopedFeatureFlagsTests
{
    [Fact]
    [Trait("Conformance", "STORE-04")]
    public async Task Request_PatchLandsMidRequest_RequestKeepsItsSnapshotAndNextRequestSeesTheChange()
    {
        await using var host = await TestHost.StartAsync(flags: [Flags.String("color", "blue"), Flags.Bool("f-on", true)]);

        var pending = host.GetAsync("/consistency", "sub=u1");
        await host.Probe.Reached.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        host.Store.ApplyPatch([Flags.String("color", "green", Flags.Version + 1), Flags.Bool("f-on", false, Flags.Version + 1)], []);
        host.Probe.Proceed.SetResult();

        Assert.Equal("blue|blue|True", (await pending).Body);
        Assert.Equal("green|Fallthrough|fall through targets and rules", (await host.GetAsync("/eval/color", "sub=u1")).Body);
    }

    [Fact]
    public void WorkerScope_SetUser_EvaluatesForThatUserAgainstOneSnapshot()
    {
        using var provider = NewProvider();
        var store = provider.GetRequiredService<FlagStore>();
        store.ApplyFull([Flags.Bool("f", true), Flags.String("s", "a"), Flags.String("n", "42"), Flags.String("d", "1.5"), Flags.String("j", "{\"Size\":3}")], []);
        using var scope = provider.CreateScope();
        var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();

        flags.SetUser(FlagUser.Create("worker"));
        Assert.True(flags.IsEnabled("f"));
        store.ApplyPatch([Flags.Bool("f", false, Flags.Version + 1)], []);

        Assert.Equal("worker", flags.User?.Key);
        Assert.True(flags.IsEnabled("f"));
        Assert.True(flags.BoolVariation("f"));
        Assert.Equal("a", flags.StringVariation("s", "x"));
        Assert.Equal(42, flags.IntVariation("n"));
        Assert.Equal(1.5, flags.DoubleVariation("d"));
        Assert.Equal(3, flags.JsonVariation("j", new Payload(0), TestJsonContext.Default.Payload).Size);
        Assert.Equal(EvaluationReasonKind.Fallthrough, flags.BoolVariationDetail("f").Kind);
        Assert.Equal(42, flags.IntVariationDetail("n").Value);
        Assert.Equal(1.5, flags.DoubleVariationDetail("d").Value);
        Assert.Equal(EvaluationReasonKind.WrongType, flags.JsonVariationDetail("s", new Payload(7), TestJsonContext.Default.Payload).Kind);
        Assert.Equal("true", flags.GetAllFlags().GetValue("f"));

        using var next = provider.CreateScope();
        var nextFlags = next.ServiceProvider.GetRequiredService<IFeatureFlags>();
        nextFlags.SetUser(FlagUser.Create("worker"));
        Assert.False(nextFlags.IsEnabled("f"));
    }

    [Fact]
    public void NoUser_EveryEvaluationReturnsTheDefaultWithUserNotSpecified()
    {
        using var provider = NewProvider();
        provider.GetRequiredService<FlagStore>().ApplyFull([Flags.Bool("f", true)], []);
        using var scope = provider.CreateScope();
        var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();

        var detail = flags.StringVariationDetail("f", "d");

        Assert.Null(flags.User);
        Assert.False(flags.IsEnabled("f"));
        Assert.Equal(7, flags.IntVariation("f", 7));
        Assert.Equal(("d", EvaluationReasonKind.Error, "user not specified"), (detail.Value, detail.Kind, detail.Reason));
        Assert.False(flags.GetAllFlags().IsReady);
        Assert.Throws<ArgumentNullException>(() => flags.SetUser(null!));
    }

    private static ServiceProvider NewProvider()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFeatureFlags(o => o.EnvSecret = "secret");
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}

public sealed record Payload(int Size);

[System.Text.Json.Serialization.JsonSerializable(typeof(Payload))]
internal sealed partial class TestJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
