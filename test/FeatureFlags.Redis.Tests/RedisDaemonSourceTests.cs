using FeatureFlags.DataSystem;
using FeatureFlags.Redis.Tests.Support;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static FeatureFlags.Redis.Tests.Support.TestData;

namespace FeatureFlags.Redis.Tests;

public sealed class RedisDaemonSourceTests
{
    [Fact]
    public async Task Start_BuildsTheSnapshotFromRedis_ReadyWithRedisAsTheDataSource()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        (await writer.StartManualAsync()).Apply(Full(("a", true, T0), ("b", false, T0)));
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(), T0);

        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();

        Assert.True(await daemon.WaitReadyAsync());
        Assert.Equal(FlagDataSourceNames.Redis, daemon.Status.Current.DataSource);
        Assert.True(daemon.Flag("a"));
        Assert.False(daemon.Flag("b"));
        Assert.Equal(T0, daemon.Daemon!.Version);
    }

    [Fact]
    public async Task WritersChange_ReachesTheDaemonThroughPubSub_WithoutWaitingForACheck()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        updates.Apply(Full(("a", true, T0), ("b", true, T0)));
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(), T0);
        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        Assert.True(await daemon.WaitReadyAsync());

        // No fake time passes: only the change message can bring these.
        updates.Apply(Patch(("a", false, T0 + 1)));
        await daemon.WaitForAsync(() => !daemon.Flag("a"), "the patch reaches the daemon");
        updates.Apply(Full(("b", false, T0 + 2)));
        await daemon.WaitForAsync(() => !daemon.Flag("b") && !daemon.Store.ContainsFlag("a"), "the full set (a deleted) reaches the daemon");
        Assert.Equal(T0 + 2, daemon.Daemon!.Version);
    }

    [Fact]
    public async Task MissedMessage_HealsOnThePeriodicVersionCheck()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        var db = await redis.DatabaseAsync();
        await db.HashSetAsync(Key(), [new("data", Json("full", ("a", true, T0))), new("version", T0), new("confirmedAt", T0)]);
        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        Assert.True(await daemon.WaitReadyAsync());
        Assert.True(daemon.Flag("a"));

        // A write whose message the daemon never got (written without PUBLISH).
        await db.HashSetAsync(Key(), [new("data", Json("full", ("a", false, T0 + 5))), new("version", T0 + 5)]);
        time.Advance(Instance.CheckInterval);

        await daemon.WaitForAsync(() => !daemon.Flag("a"), "the version check reloads");
    }

    [Fact]
    public async Task NoDataYet_SaysSoInTheStatus_AndTurnsReadyWhenAWriterWrites()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        await daemon.WaitForStatusAsync(s => s.LastError?.Contains("no flag data", StringComparison.Ordinal) == true, "the status says Redis holds nothing yet");
        Assert.Equal(FeatureFlagsState.Initializing, daemon.Status.Current.State);
        Assert.Equal(1, daemon.LogCount(6025));

        await using var writer = Instance.CreateWriter(redis, time);
        (await writer.StartManualAsync()).Apply(Full(("a", true, T0)));

        Assert.True(await daemon.WaitReadyAsync());
        Assert.True(daemon.Flag("a"));
    }

    [Fact]
    public async Task Flushall_DaemonKeepsServingAndLogsOnce_WriterRepopulates_DaemonReadyAgain()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        updates.Apply(Full(("a", true, T0)));
        var db = await redis.DatabaseAsync();
        await WaitForStoredVersionAsync(db, Key(), T0);
        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        Assert.True(await daemon.WaitReadyAsync());

        // The daemon's check comes first (its own clock step), then the writer's.
        await (await redis.AdminServerAsync()).FlushAllDatabasesAsync();
        await daemon.Daemon!.CheckNowAsync();
        Assert.Equal(FeatureFlagsState.Interrupted, daemon.Status.Current.State);
        Assert.Contains("missing", daemon.Status.Current.LastError, StringComparison.Ordinal);
        Assert.Contains("flag data as of", daemon.Status.Current.LastError, StringComparison.Ordinal);
        Assert.True(daemon.Flag("a")); // still serving
        await daemon.Daemon!.CheckNowAsync();
        Assert.Equal(1, daemon.LogCount(6023));

        time.Advance(Instance.CheckInterval);
        await WaitForStoredVersionAsync(db, Key(), T0);
        await daemon.WaitForStatusAsync(s => s.State == FeatureFlagsState.Ready, "the daemon is current again");
        Assert.True(daemon.Flag("a"));
        Assert.Equal(1, daemon.LogCount(6023));
    }

    [Fact]
    public async Task RedisKilledAndRestarted_DaemonInterruptedWithDataAge_ThenCurrentAgain()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        updates.Apply(Full(("a", true, T0)));
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(), T0);
        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        Assert.True(await daemon.WaitReadyAsync());

        await redis.KillAsync();
        await daemon.WaitForStatusAsync(s => s.State == FeatureFlagsState.Interrupted, "the daemon notices Redis is gone");
        Assert.Contains("flag data as of 2023-11-14 22:13:20 UTC", daemon.Status.Current.LastError, StringComparison.Ordinal);
        Assert.True(daemon.Flag("a"));
        updates.Apply(Patch(("a", false, T0 + 1))); // written once Redis is back

        await redis.RestartAsync();
        var db = await redis.DatabaseAsync();
        await time.AdvanceUntilAsync(() => daemon.Status.Current.State == FeatureFlagsState.Ready && !daemon.Flag("a"), TimeSpan.FromSeconds(1), "the writer repopulates and the daemon follows", maxSteps: 600, pauseMs: 20);
        Assert.Equal(1, daemon.LogCount(6022));
    }
}
