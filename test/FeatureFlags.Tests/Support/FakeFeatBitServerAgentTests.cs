using System.Net.WebSockets;
using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>FeatBit Agent mode (protocol.md §1.12, "Through FeatBit Agent"), checked with a raw client.</summary>
public sealed partial class FakeFeatBitServerTests
{
    [Fact]
    public async Task Agent_AfterRestart_4003SecretNotFoundForAValidSecret_UntilBootstrapped()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.AgentMode = true;
        server.LoadFull(SmallDataSet());

        await server.RestartAsync(Ct);
        Assert.False(server.AgentHasData);
        Assert.Equal(0, server.LatestVersion);
        foreach (var attempt in new[] { 1, 2 })
        {
            using var rejected = await ConnectAsync(server);
            await AssertClosedAsync(rejected, (WebSocketCloseStatus)4003, FakeFeatBitServer.SecretNotFoundDescription);
            Assert.Equal(attempt, server.AgentRejections);
        }

        await server.BootstrapAsync(SmallDataSet(), Ct);
        using var ws = await ConnectAsync(server);
        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");

        Assert.Equal(["flag-old", "flag-new", "flag-archived"], Keys(await ReceiveJsonAsync(ws), "featureFlags", "key"));
        Assert.True(server.AgentHasData);
    }

    [Fact]
    public async Task Agent_PushFull_UnrequestedFullToEveryConnection_WithDeletionsAndRollbacks()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.AgentMode = true;
        server.LoadFull(SmallDataSet());
        using var first = await ConnectServedAsync(server);
        using var second = await ConnectServedAsync(server);

        Assert.True(server.RemoveFlag("flag-archived"));
        server.Rollback(FakeFeatBitServer.BoolFlag("flag-new", false, T1 - 100));
        await server.PushFullAsync(Ct);

        foreach (var ws in new[] { first, second })
        {
            var full = await ReceiveJsonAsync(ws);
            Assert.Equal("full", (string?)full["data"]!["eventType"]);
            Assert.Equal(["flag-old", "flag-new"], Keys(full, "featureFlags", "key"));
            Assert.Equal(T1 - 100, VersionOf(full, "flag-new"));
        }

        Assert.Equal(1, server.UnrequestedFulls);
        Assert.Empty(server.DataSyncTimestamps);
    }

    [Fact]
    public async Task Agent_Rollback_InvisibleToACursorRequest_VersionNeverGoesDown()
    {
        await using var server = await FakeFeatBitServer.StartAsync(ct: Ct);
        server.AgentMode = true;
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("f", true, T2));
        using var ws = await ConnectAsync(server);

        server.Rollback(FakeFeatBitServer.BoolFlag("f", false, T1));

        Assert.Equal(T2, server.AgentDataVersion);
        Assert.Equal(T1, server.LatestVersion);
        await SendAsync(ws, $$$"""{"messageType":"data-sync","data":{"timestamp":{{{T2}}}}}""");
        Assert.Equal(EmptyPatch, await ReceiveTextAsync(ws));
        await SendAsync(ws, """{"messageType":"data-sync","data":{"timestamp":0}}""");
        Assert.Equal(T1, VersionOf(await ReceiveJsonAsync(ws), "f"));
    }
}
