using System.Diagnostics;
using FeatureFlags.DataSystem;
using FeatureFlags.Redis.Internal;
using FeatureFlags.Redis.Tests.Support;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static FeatureFlags.Redis.Tests.Support.TestData;

namespace FeatureFlags.Redis.Tests;

public sealed class RedisFlagStoreTests
{
    [Fact]
    public async Task Save_Full_WritesDataAndCursorAndConfirmationTogether()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 5_000));
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();

        updates.Apply(Full(("a", true, T0), ("b", false, T0 + 1)));

        var db = await redis.DatabaseAsync();
        await WaitForStoredVersionAsync(db, Key(), T0 + 1);
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.True(stored.Data.IsFull);
        Assert.Equal(2, stored.Data.FlagCount);
        Assert.Equal(T0 + 1, stored.Data.Version);
        Assert.Equal(T0 + 5_000, stored.ConfirmedAt);
    }

    [Fact]
    public async Task Save_Patches_AreMergedIntoTheStoredFullState_AndNeverMoveAFlagBack()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        var db = await redis.DatabaseAsync();

        updates.Apply(Full(("a", true, T0), ("b", true, T0)));
        updates.Apply(Patch(("b", false, T0 + 100)));
        updates.Apply(Patch(("a", false, T0 - 50))); // older: ignored in memory and in Redis
        await WaitForStoredVersionAsync(db, Key(), T0 + 100);

        var reader = Instance.CreateWriter(redis, time);
        await using (reader)
        {
            await reader.StartAsync();
            Assert.True(reader.Flag("a"));
            Assert.False(reader.Flag("b"));
        }

        Assert.Equal(2, (await ReadAsync(db, Key()))!.Value.Data.FlagCount);
    }

    [Fact]
    public async Task Save_OlderVersionFromAnotherWriter_NeverOverwritesNewerData()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var ahead = Instance.CreateWriter(redis, time);
        await using var behind = Instance.CreateWriter(redis, time);
        var aheadUpdates = await ahead.StartManualAsync();
        var behindUpdates = await behind.StartManualAsync();
        var db = await redis.DatabaseAsync();

        aheadUpdates.Apply(Full(("a", false, T0 + 2_000)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 2_000);
        behindUpdates.Apply(Full(("a", true, T0 + 1_000)));
        await WaitUntilAsync(() => behind.Writer!.StoredVersion == T0 + 2_000, "the behind writer learns the stored version");

        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(T0 + 2_000, stored.Version);
        Assert.Equal(T0 + 2_000, stored.Data.Version);
        Assert.Equal(1, behind.LogCount(6007));
    }

    [Fact]
    public async Task ConcurrentWritersAndReaders_ReadersNeverSeeTheDataOfOneWriteWithTheCursorOfAnother()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        var options = Options.Create(Instance.RedisOptions(redis, RedisStoreMode.Writer));
        var environment = EnvironmentIdentity.Of(global::FeatureFlags.Tests.Support.FakeFeatBitServer.DefaultSecret);
        var connections = Enumerable.Range(0, 3).Select(_ => new RedisConnection(options)).ToArray();
        var stores = connections.Select(c => new RedisFlagStore(c, options, time, NullLogger<RedisFlagStore>.Instance)).ToArray();
        var db = await redis.DatabaseAsync();
        const int Writes = 60;
        try
        {
            // Each writer saves full states of 200 flags whose versions interleave with the other writers'.
            var writers = stores.Select((store, w) => Task.Run(async () =>
            {
                for (var i = 0; i < Writes; i++)
                {
                    store.Save(environment, Many(200, T0 + (i * stores.Length) + w, value: i % 2 == 0));
                    await Task.Yield();
                }
            })).ToArray();
            var reads = 0;
            var done = Task.WhenAll(writers);
            var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                while (!done.IsCompleted || reads < 20)
                {
                    if (await ReadAsync(db, Key()) is { } stored)
                    {
                        Assert.Equal(stored.Version, stored.Data.Version);
                        Assert.Equal(200, stored.Data.FlagCount);
                        Interlocked.Increment(ref reads);
                    }
                }
            })).ToArray();
            await Task.WhenAll(readers).WaitAsync(Instance.EventTimeout, TestContext.Current.CancellationToken);

            // The newest state of all wins, whatever the order in which the writers' loops ran.
            var newest = T0 + ((Writes - 1) * stores.Length) + stores.Length - 1;
            await WaitForStoredVersionAsync(db, Key(), newest);
            Assert.True(reads >= 20);
        }
        finally
        {
            foreach (var store in stores)
            {
                store.Dispose();
            }

            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Save_ReturnsAtOnce_WhileRedisIsPaused_AndTheNewestStateIsWrittenAfterwards()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        var db = await redis.DatabaseAsync();
        updates.Apply(Full(("a", true, T0)));
        await WaitForStoredVersionAsync(db, Key(), T0);

        // CLIENT PAUSE holds every client's commands for 1.5 s: the sync loop must not notice.
        await (await redis.AdminServerAsync()).ExecuteAsync("CLIENT", "PAUSE", "1500", "ALL");
        var saving = Stopwatch.StartNew();
        for (var i = 1; i <= 200; i++)
        {
            updates.Apply(Patch(("a", i % 2 == 0, T0 + i)));
        }

        saving.Stop();
        Assert.True(saving.Elapsed < TimeSpan.FromMilliseconds(1000), $"200 commits took {saving.Elapsed} while Redis was paused");
        Assert.True(writer.Flag("a")); // evaluation already serves the newest value

        await WaitForStoredVersionAsync(db, Key(), T0 + 200);
        Assert.True((await ReadAsync(db, Key()))!.Value.Data.FlagCount == 1);
    }

    [Fact]
    public async Task Flushall_IsDetectedOnTheNextCheck_AndRepopulatedFromMemory_LoggedOnce()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        var db = await redis.DatabaseAsync();
        updates.Apply(Full(("a", true, T0), ("b", true, T0)));
        updates.Apply(Patch(("b", false, T0 + 10)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 10);

        await (await redis.AdminServerAsync()).FlushAllDatabasesAsync();
        Assert.Null(await ReadAsync(db, Key()));
        time.Advance(Instance.CheckInterval);

        await WaitForStoredVersionAsync(db, Key(), T0 + 10);
        Assert.Equal(2, (await ReadAsync(db, Key()))!.Value.Data.FlagCount);
        Assert.Equal(1, writer.LogCount(6005));
    }

    [Fact]
    public async Task RedisKilledAndRestartedEmpty_WriterKeepsServing_AndWritesItsNewestStateWhenBack()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        updates.Apply(Full(("a", true, T0)));
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(), T0);

        await redis.KillAsync();
        updates.Apply(Patch(("a", false, T0 + 1)));
        updates.Apply(Patch(("b", true, T0 + 2)));
        Assert.False(writer.Flag("a"));
        Assert.True(writer.Flag("b"));
        await WaitUntilAsync(() => writer.LogCount(6003) == 1, "the failed write is logged");

        await redis.RestartAsync();
        var db = await redis.DatabaseAsync();
        await time.AdvanceUntilAsync(() => Stored(db) == T0 + 2, TimeSpan.FromSeconds(1), "the writer retries and writes its newest state", maxSteps: 600, pauseMs: 20);
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(2, stored.Data.FlagCount);
        Assert.Equal(1, writer.LogCount(6003)); // logged once per outage, not per retry
    }

    [Fact]
    public async Task RedisDown_TheBacklogStaysBounded_AndTheNewestStateWins()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        updates.Apply(Full(("a", true, T0)));
        await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(), T0);

        await redis.KillAsync();
        for (var i = 1; i <= 1_000; i++)
        {
            updates.Apply(Patch(($"f{i % 50}", i % 2 == 0, T0 + i)));
            Assert.True(writer.Writer!.QueuedCount <= RedisFlagStore.MaxQueued, $"{writer.Writer.QueuedCount} queued");
        }

        updates.Apply(Full(("z", true, T0 + 2_000))); // a full set drops everything queued before it
        Assert.Equal(1, writer.Writer!.QueuedCount);

        await redis.RestartAsync();
        var db = await redis.DatabaseAsync();
        await time.AdvanceUntilAsync(() => Stored(db) == T0 + 2_000, TimeSpan.FromSeconds(1), "the newest state is written", maxSteps: 600, pauseMs: 20);
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(1, stored.Data.FlagCount);
    }

    [Fact]
    public async Task Load_ReturnsTheStoredFullStateWithItsConfirmationTime()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 60_000));
        await using (var writer = Instance.CreateWriter(redis, time))
        {
            (await writer.StartManualAsync()).Apply(Full(("a", true, T0)));
            await WaitForStoredVersionAsync(await redis.DatabaseAsync(), Key(), T0);
        }

        var options = Options.Create(Instance.RedisOptions(redis, RedisStoreMode.Writer));
        await using var connection = new RedisConnection(options);
        using var store = new RedisFlagStore(connection, options, time, NullLogger<RedisFlagStore>.Instance);
        var loaded = await store.LoadAsync(EnvironmentIdentity.Of(global::FeatureFlags.Tests.Support.FakeFeatBitServer.DefaultSecret), TestContext.Current.CancellationToken);

        Assert.NotNull(loaded);
        Assert.True(loaded.Data.IsFull);
        Assert.Equal(T0, loaded.Data.Version);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 60_000), loaded.ConfirmedAt);
        Assert.Null(await LoadOtherEnvironmentAsync(redis, time));
    }

    [Fact]
    public async Task Environments_AreIsolated_ByIdentityAndPrefix_AndKeysDoNotRevealTheSecret()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        const string SecretB = "b3faJy3RCUO8d-EJiVdN6waRfGjfNan02Ms9c0LiTD6w";
        await using var a = Instance.CreateWriter(redis, time);
        await using var b = Instance.CreateWriter(redis, time, SecretB);
        await using var otherPrefix = Instance.CreateWriter(redis, time, prefix: "other");
        (await a.StartManualAsync()).Apply(Full(("a-only", true, T0)));
        (await b.StartManualAsync()).Apply(Full(("b-only", true, T0 + 1)));
        (await otherPrefix.StartManualAsync()).Apply(Full(("prefixed", true, T0 + 2)));
        var db = await redis.DatabaseAsync();
        await WaitForStoredVersionAsync(db, Key(), T0);
        await WaitForStoredVersionAsync(db, Key(SecretB), T0 + 1);
        await WaitForStoredVersionAsync(db, Key(prefix: "other"), T0 + 2);

        await using var daemonA = Instance.CreateDaemon(redis, time);
        await daemonA.StartAsync();
        Assert.True(await daemonA.WaitReadyAsync());
        Assert.True(daemonA.Flag("a-only"));
        Assert.False(daemonA.Flag("b-only"));
        Assert.False(daemonA.Flag("prefixed"));

        var keys = (await redis.AdminServerAsync()).Keys(pattern: "*").Select(k => k.ToString()).ToList();
        Assert.Equal(3, keys.Count);
        Assert.DoesNotContain(keys, k => k.Contains(global::FeatureFlags.Tests.Support.FakeFeatBitServer.DefaultSecret, StringComparison.Ordinal) || k.Contains(SecretB, StringComparison.Ordinal));
    }

    private static async Task<PersistedFlagData?> LoadOtherEnvironmentAsync(RedisServer redis, FakeTimeProvider time)
    {
        // Another environment's identity finds nothing.
        var options = Options.Create(Instance.RedisOptions(redis, RedisStoreMode.Writer));
        await using var connection = new RedisConnection(options);
        using var store = new RedisFlagStore(connection, options, time, NullLogger<RedisFlagStore>.Instance);
        return await store.LoadAsync(EnvironmentIdentity.Of("another-secret-of-another-environment-0000000"), TestContext.Current.CancellationToken);
    }

    private static long? Stored(StackExchange.Redis.IDatabase db)
    {
        try
        {
            var value = db.HashGet(Key(), "version");
            return value.IsNull ? null : (long)value;
        }
        catch (StackExchange.Redis.RedisException)
        {
            return null;
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Instance.EventTimeout, $"Timed out waiting for: {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
        }
    }
}
