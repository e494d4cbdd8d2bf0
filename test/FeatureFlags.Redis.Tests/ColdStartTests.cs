using FeatureFlags.Redis.Tests.Support;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static FeatureFlags.Redis.Tests.Support.TestData;

namespace FeatureFlags.Redis.Tests;

/// <summary>An instance with a live source (FeatBit streaming, the in-process server) starting from Redis.</summary>
public sealed class ColdStartTests
{
    private static readonly TimeSpan Timeout = Instance.EventTimeout;

    [Fact]
    public async Task FeatBitDown_StartsFromRedis_InterruptedUntilTheFlagServerConfirms()
    {
        await using var redis = await RedisServer.StartAsync();
        var (time, server) = await StartServerAsync();
        await using var _ = server;
        await SyncOneWriterAsync(redis, time, server);

        await server.StopAsync();
        await using var cold = Instance.CreateStreamingWriter(redis, time, server);
        await cold.StartAsync();

        Assert.True(cold.Flag("a"));
        Assert.Equal(FeatureFlagsState.Interrupted, cold.Status.Current.State);
        Assert.NotNull(cold.Status.Current.LastError); // the flag server's connect error, once the stream has tried
        Assert.Equal(1, cold.LogCount(6000));
    }

    [Fact]
    public async Task RecentData_ResumesFromTheStoredCursor_WithAPatchInsteadOfAFullSync()
    {
        await using var redis = await RedisServer.StartAsync();
        var (time, server) = await StartServerAsync();
        await using var _ = server;
        await SyncOneWriterAsync(redis, time, server);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("a", false, T0 + 50)); // changed while no instance ran
        time.Advance(TimeSpan.FromMinutes(4));                             // within FullResyncAfterOutage (5 min)

        await using var cold = Instance.CreateStreamingWriter(redis, time, server);
        await cold.StartAsync();
        Assert.True(await cold.WaitReadyAsync());

        Assert.Equal([0, T0], server.DataSyncTimestamps);
        Assert.False(cold.Flag("a"));
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(server.Secret), T0 + 50);
    }

    [Fact]
    public async Task ResumedWithAnEmptyPatch_OnlyConfirmsTheStoredState_InsteadOfWritingItAgain()
    {
        await using var redis = await RedisServer.StartAsync();
        var (time, server) = await StartServerAsync();
        await using var _ = server;
        await SyncOneWriterAsync(redis, time, server);
        var db = await redis.DatabaseAsync();
        var savedAt = (long)await db.HashGetAsync(Key(server.Secret), "savedAt");
        time.Advance(TimeSpan.FromMinutes(2));

        await using var cold = Instance.CreateStreamingWriter(redis, time, server);
        await cold.StartAsync();
        Assert.True(await cold.WaitReadyAsync());
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await RedisFlagStoreTests.WaitUntilAsync(() => (long)db.HashGet(Key(server.Secret), "confirmedAt") == now, "the resumed writer confirms the stored state");

        Assert.Equal([0, T0], server.DataSyncTimestamps);
        Assert.Equal(savedAt, (long)await db.HashGetAsync(Key(server.Secret), "savedAt")); // not rewritten
        Assert.Equal(1, cold.LogCount(6010));
    }

    [Fact]
    public async Task DataOlderThanFullResyncAfterOutage_AsksForEverything()
    {
        await using var redis = await RedisServer.StartAsync();
        var (time, server) = await StartServerAsync();
        await using var _ = server;
        await SyncOneWriterAsync(redis, time, server);
        time.Advance(TimeSpan.FromMinutes(6));

        await using var cold = Instance.CreateStreamingWriter(redis, time, server);
        await cold.StartAsync();
        Assert.True(await cold.WaitReadyAsync());

        Assert.Equal([0, 0], server.DataSyncTimestamps);
    }

    [Fact]
    public async Task ARunningWriterConfirmsCurrentData_SoAColdStartLongAfterTheLastChangeStillResumes()
    {
        await using var redis = await RedisServer.StartAsync();
        var (time, server) = await StartServerAsync();
        await using var _ = server;
        var db = await redis.DatabaseAsync();
        await using (var writer = Instance.CreateStreamingWriter(redis, time, server))
        {
            await writer.StartAsync();
            Assert.True(await writer.WaitReadyAsync());
            await WaitForStoredVersionAsync(db, Key(server.Secret), T0);

            // No change for 4 minutes; the writer's periodic check confirms the data while its stream is in sync.
            var confirmedAt = time.GetUtcNow() + TimeSpan.FromMinutes(4);
            await time.AdvanceUntilAsync(
                () => (long)db.HashGet(Key(server.Secret), "confirmedAt") >= confirmedAt.ToUnixTimeMilliseconds(),
                Instance.CheckInterval, "the writer confirms the stored data", maxSteps: 20, pauseMs: 50);
        }

        time.Advance(TimeSpan.FromMinutes(3)); // 7 min after the last write, 3 after the last confirmation

        // The first writer asked for everything once; while fake time jumped it may also have reconnected (with its
        // cursor). What matters is the cold start's own request.
        Assert.Equal(0, server.DataSyncTimestamps[0]);
        var before = server.DataSyncTimestamps.Count;
        await using var cold = Instance.CreateStreamingWriter(redis, time, server);
        await cold.StartAsync();
        Assert.True(await cold.WaitReadyAsync());

        var coldRequests = server.DataSyncTimestamps.Skip(before).ToList();
        Assert.NotEmpty(coldRequests);
        Assert.All(coldRequests, cursor => Assert.Equal(T0, cursor)); // a patch since the stored cursor, never everything
        Assert.DoesNotContain(0L, server.DataSyncTimestamps.Skip(1));
    }

    private static async Task<(FakeTimeProvider Time, FakeFeatBitServer Server)> StartServerAsync()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 1_000));
        var server = await FakeFeatBitServer.StartAsync(time, TestContext.Current.CancellationToken);
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("a", true, T0));
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("b", true, T0 - 10));
        return (time, server);
    }

    /// <summary>One writer syncs from the server (a full sync) and writes Redis, then stops.</summary>
    private static async Task SyncOneWriterAsync(RedisServer redis, FakeTimeProvider time, FakeFeatBitServer server)
    {
        await using var writer = Instance.CreateStreamingWriter(redis, time, server);
        await writer.StartAsync();
        Assert.True(await writer.WaitReadyAsync());
        await server.WaitForDataSyncAsync(1, Timeout, TestContext.Current.CancellationToken);
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(server.Secret), T0);
    }
}
