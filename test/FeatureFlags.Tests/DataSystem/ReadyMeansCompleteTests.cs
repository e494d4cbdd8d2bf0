using System.Text.Json.Nodes;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>
/// Ready means complete (issue 15, item 1): the real server can push a change before its reply to our data-sync
/// request, and that reply can carry an older version of the same flag. The SDK must report Ready only after its own
/// reply was committed, and no flag may go back.
/// </summary>
public sealed class ReadyMeansCompleteTests
{
    private const long V1 = 1_700_000_000_000;
    private const int Flags = 50;

    [Fact]
    [Trait("Conformance", "SYNC-02")]
    [Trait("Conformance", "NOTE-01")]
    public async Task FullRequest_PushBeforeAnOlderReply_ReadyOnlyWithEveryFlag_AndThePushedVersionWins()
    {
        await using var h = await SyncHarness.CreateAsync();
        for (var i = 0; i < Flags; i++)
        {
            h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag($"flag-{i}", true, V1 + i));
        }

        // The concurrent change: flag-0 is turned off (a newer version) while the reply (taken before it) says on.
        h.Server.EnqueueRacePush(FakeFeatBitServer.BoolFlag("flag-0", false, V1 + Flags + 1));
        var flagsAtReady = -1;
        h.Status.StatusChanged += (_, s) =>
        {
            if (s.State == FeatureFlagsState.Ready && flagsAtReady < 0)
            {
                flagsAtReady = h.Store.FlagKeys.Count;
            }
        };

        await h.StartAndSyncAsync();
        await Notifications.DeliveredAsync(h.Store);

        Assert.Equal(1, h.Server.EarlyPushes);
        Assert.Equal(1, h.Server.OlderReplies);
        Assert.Equal(Flags, flagsAtReady);
        Assert.False(h.Client.BoolVariation("flag-0", FlagUser.Create("u"), true), "the older reply moved flag-0 back");
        Assert.Equal(V1 + Flags + 1, h.Store.Version);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2024);
    }

    [Fact]
    [Trait("Conformance", "SYNC-02")]
    public async Task CursorRequest_PushBeforeAnOlderReply_NoFlagGoesBack()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-b", true, V1));
        await h.StartAndSyncAsync();

        // While the SDK is away flag-a changes (so the reply to its cursor carries it), and a newer change races the reply.
        h.Server.DropAll();
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Interrupted, TimeSpan.FromMilliseconds(50), "interrupted");
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1));
        h.Server.EnqueueRacePush(FakeFeatBitServer.BoolFlag("flag-a", true, V1 + 2));
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromMilliseconds(250), "ready again");
        await h.AdvanceUntilAsync(() => h.Server.OlderReplies == 1 && h.Store.Version == V1 + 2, TimeSpan.Zero, "the race");

        Assert.Equal(V1, h.Server.DataSyncTimestamps[^1]);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")), "the older reply moved flag-a back");
    }

    [Fact]
    [Trait("Conformance", "SYNC-02")]
    public async Task RacingServer_ManyConnections_ReadyAlwaysComplete_NeverBackwards()
    {
        // The measurement on the real server, in small: every data-sync request races a push of a newer version.
        await using var h = await SyncHarness.CreateAsync();
        for (var i = 0; i < Flags; i++)
        {
            h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag($"flag-{i}", true, V1 + i));
        }

        h.Server.RacePushBeforeReply = true;
        h.Server.RaceChange = static flag =>
        {
            flag["isEnabled"] = !(flag["isEnabled"]?.GetValue<bool>() ?? false);
            return flag;
        };
        var incomplete = 0;
        h.Status.StatusChanged += (_, s) =>
        {
            if (s.State == FeatureFlagsState.Ready && h.Store.FlagKeys.Count < Flags)
            {
                Interlocked.Increment(ref incomplete);
            }
        };
        await h.StartAndSyncAsync();

        for (var connection = 0; connection < 10; connection++)
        {
            var before = h.Store.Version;
            h.Server.DropAll();
            await h.AdvanceUntilAsync(() => h.Server.EarlyPushes > connection + 1 && h.Store.Version > before, TimeSpan.FromMilliseconds(250), "a raced reconnect");
            await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromMilliseconds(250), "ready");
            Assert.Equal(h.Server.LatestVersion, h.Store.Version);
        }

        await Notifications.DeliveredAsync(h.Store);
        Assert.Equal(0, incomplete);
        Assert.True(h.Server.EarlyPushes >= 11, $"{h.Server.EarlyPushes} early pushes");
        Assert.True(h.Server.OlderReplies >= 1, "the first (full) reply was older than the push before it");
        AssertSameAsServer(h);
    }

    private static void AssertSameAsServer(SyncHarness h)
    {
        var server = JsonNode.Parse(h.Server.FullDataSyncJson())!["data"]!["featureFlags"]!.AsArray();
        foreach (var flag in server)
        {
            var key = flag!["key"]!.GetValue<string>();
            var on = flag["isEnabled"]!.GetValue<bool>();
            Assert.Equal(on, h.Client.BoolVariation(key, FlagUser.Create("u"), !on));
        }
    }
}
