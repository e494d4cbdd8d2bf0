using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>
/// Through FeatBit Agent (issue 15, item 9): an agent that restarted rejects a valid secret (4003 "secret is not
/// found") until it is loaded again, and sends unrequested full data sets (deletions and rollbacks included).
/// </summary>
public sealed class RelayTests
{
    private const long V1 = 1_700_000_000_000;

    [Fact]
    [Trait("Conformance", "SYNC-09")]
    public async Task AgentRestart_RejectsAValidSecretUntilLoaded_ThenTheClientIsReadyAgain()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.AgentMode = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var data = h.Server.FullDataSyncJson();

        await h.Server.RestartAsync(TestContext.Current.CancellationToken); // the agent comes back empty
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, TimeSpan.FromMilliseconds(250), "off while the agent is empty");
        Assert.Contains("secret is not found", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")), "the last flags keep serving");

        await h.Server.BootstrapAsync(data, TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromSeconds(5), "ready after the agent is loaded");

        Assert.True(h.Server.AgentRejections >= 1);
        Assert.Equal(0L, h.Server.DataSyncTimestamps[^1]);
    }

    [Fact]
    [Trait("Conformance", "SYNC-09")]
    public async Task AppStartsBeforeItsAgentIsLoaded_OffUntilLoaded_NotOffForGood()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.AgentMode = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        var data = h.Server.FullDataSyncJson();
        await h.Server.RestartAsync(TestContext.Current.CancellationToken);

        await h.Service.StartAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, TimeSpan.FromMilliseconds(250), "off");
        await h.Server.BootstrapAsync(data, TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromSeconds(5), "ready after the agent is loaded");

        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Fact]
    [Trait("Conformance", "SYNC-09")]
    public async Task UnrequestedFull_ReplacesTheStore_DeletionsAndRollbacksIncluded()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.AgentMode = true;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("rolled-back", false, V1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("deleted", true, V1));
        await h.StartAndSyncAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("rolled-back", true, V1 + 10));
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("rolled-back", true, V1 + 10), TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Store.Version == V1 + 10, TimeSpan.Zero, "the change");

        // The agent's manual load: the older definition (older version) and one flag fewer, as one unrequested full.
        h.Server.Rollback(FakeFeatBitServer.BoolFlag("rolled-back", false, V1));
        h.Server.RemoveFlag("deleted");
        await h.Server.PushFullAsync(TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => !h.Store.ContainsFlag("deleted"), TimeSpan.Zero, "the full");

        Assert.False(h.Client.BoolVariation("rolled-back", FlagUser.Create("u"), true), "the rollback was not applied");
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
    }
}
