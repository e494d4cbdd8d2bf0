using System.Collections.Concurrent;
using System.Globalization;
using FeatureFlags.Redis.Internal;
using FeatureFlags.Redis.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit;
using static FeatureFlags.Redis.Tests.Support.TestData;

namespace FeatureFlags.Redis.Tests;

/// <summary>
/// A change sends only its patch while Redis holds the version it starts from (<see cref="RedisLayout.AppendScript"/>),
/// readers fold the patches into the data, and the patches are folded into the data by a full write before they grow
/// past <see cref="RedisLayout.MaxPatches"/> or a quarter of the data's size.
/// </summary>
public sealed class PatchLogTests
{
    [Fact]
    public async Task Patch_WhileRedisHoldsItsBase_AppendsOnlyThePatch_AndEveryReaderSeesTheFoldedState()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        var db = await redis.DatabaseAsync();
        var messages = await SubscribeAsync(db);
        updates.Apply(Many(500, T0, value: true));
        await WaitForStoredVersionAsync(db, Key(), T0);
        var data = (byte[])(await db.HashGetAsync(Key(), "data"))!;

        updates.Apply(Patch(("f7", false, T0 + 1)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 1);

        Assert.Equal(data, (byte[])(await db.HashGetAsync(Key(), "data"))!); // the 500 flags were not sent again
        Assert.Equal(1, (long)await db.HashGetAsync(Key(), "patches"));
        Assert.Contains("\"f7\"", (string)(await db.HashGetAsync(Key(), "p1"))!, StringComparison.Ordinal);
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(T0 + 1, stored.Version);
        Assert.Equal(T0 + 1, stored.Data.Version);
        Assert.Equal(500, stored.Data.FlagCount);
        var message = await NextAsync(messages, m => m.StartsWith(Text(T0 + 1), StringComparison.Ordinal));
        Assert.StartsWith($"{Text(T0 + 1)}\n{Text(T0)}\n{{", message, StringComparison.Ordinal); // the patch itself

        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        Assert.True(await daemon.WaitReadyAsync());
        Assert.False(daemon.Flag("f7"));
        Assert.True(daemon.Flag("f8"));
        Assert.Equal(T0 + 1, daemon.Daemon!.Version);

        await using var coldStart = Instance.CreateWriter(redis, time);
        await coldStart.StartAsync();
        Assert.False(coldStart.Flag("f7"));
        Assert.True(coldStart.Flag("f8"));
    }

    [Theory]
    [InlineData(2_000)] // 64 patches are far under a quarter of the data: the count limit folds them
    [InlineData(20)] // a few patches make a quarter of the data: the size limit folds them
    public async Task Patches_AreFoldedIntoTheData_BeforeTheyPassEitherLimit(int flags)
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        var db = await redis.DatabaseAsync();
        updates.Apply(Many(flags, T0, value: true));
        await WaitForStoredVersionAsync(db, Key(), T0);

        const int Changes = RedisLayout.MaxPatches + 6;
        var folds = 0;
        var previous = 0L;
        for (var i = 1; i <= Changes; i++)
        {
            updates.Apply(Patch(($"f{i % flags}", false, T0 + i)));
            await WaitForStoredVersionAsync(db, Key(), T0 + i);

            var patches = (long)await db.HashGetAsync(Key(), "patches");
            var patchBytes = (long)await db.HashGetAsync(Key(), "patchBytes");
            var dataBytes = await db.HashStringLengthAsync(Key(), "data");
            Assert.InRange(patches, 0, RedisLayout.MaxPatches);
            Assert.True(patchBytes * 4 <= dataBytes, $"{patchBytes} bytes of patches beside {dataBytes} bytes of data");
            if (patches < previous)
            {
                // A full write replaced the data and dropped every patch field.
                folds++;
                Assert.Equal(0, patches);
                Assert.False(await db.HashExistsAsync(Key(), "p1"));
                Assert.False(await db.HashExistsAsync(Key(), string.Create(CultureInfo.InvariantCulture, $"p{previous}")));
            }

            previous = patches;
        }

        Assert.True(folds >= 1, "the patches were folded into the data at least once");
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(T0 + Changes, stored.Version);
        Assert.Equal(flags, stored.Data.FlagCount);
        await using var daemon = Instance.CreateDaemon(redis, time);
        await daemon.StartAsync();
        Assert.True(await daemon.WaitReadyAsync());
        Assert.False(daemon.Flag($"f{Changes % flags}"));
    }

    [Fact]
    public async Task FullSet_AfterPatches_ReplacesTheDataAndDropsThePatches()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var writer = Instance.CreateWriter(redis, time);
        var updates = await writer.StartManualAsync();
        var db = await redis.DatabaseAsync();
        updates.Apply(Many(100, T0, value: true));
        updates.Apply(Patch(("f1", false, T0 + 1)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 1);
        updates.Apply(Patch(("f2", false, T0 + 2)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 2);

        updates.Apply(Full(("only", true, T0 + 3)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 3);

        Assert.Equal(0, (long)await db.HashGetAsync(Key(), "patches"));
        Assert.False(await db.HashExistsAsync(Key(), "p1"));
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(1, stored.Data.FlagCount);
        Assert.Equal(T0 + 3, stored.Data.Version);
    }

    [Fact]
    public async Task Patch_WhenAnotherWriterMovedRedisOn_WritesTheWholeState_AndPublishesFull()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var first = Instance.CreateWriter(redis, time);
        await using var second = Instance.CreateWriter(redis, time);
        var firstUpdates = await first.StartManualAsync();
        var secondUpdates = await second.StartManualAsync();
        var db = await redis.DatabaseAsync();
        var messages = await SubscribeAsync(db);
        firstUpdates.Apply(Full(("a", true, T0), ("b", true, T0)));
        await WaitForStoredVersionAsync(db, Key(), T0);
        secondUpdates.Apply(Full(("a", true, T0 + 5), ("c", true, T0 + 5)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 5);

        // The first writer's patch starts from T0, but Redis holds T0 + 5: the patch cannot be appended to it.
        firstUpdates.Apply(Patch(("b", false, T0 + 10)));
        await WaitForStoredVersionAsync(db, Key(), T0 + 10);

        Assert.Equal(0, (long)await db.HashGetAsync(Key(), "patches"));
        var stored = (await ReadAsync(db, Key()))!.Value;
        Assert.Equal(T0 + 10, stored.Data.Version);
        Assert.Equal(2, stored.Data.FlagCount); // the first writer's whole state: a and b
        Assert.Equal($"{Text(T0 + 10)}\nfull", await NextAsync(messages, m => m.StartsWith(Text(T0 + 10), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UnreadableOrMissingPatch_FailsTheRead_AsUnreadableData()
    {
        await using var redis = await RedisServer.StartAsync();
        var db = await redis.DatabaseAsync();
        await db.HashSetAsync(Key(), [new("data", Json("full", ("a", true, T0))), new("version", T0 + 1), new("patches", 1), new("p1", "not json")]);

        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => RedisLayout.ReadAsync(db, Key()));
        await db.HashDeleteAsync(Key(), "p1"); // a patch field missing is as unreadable as a bad one
        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => RedisLayout.ReadAsync(db, Key()));
    }

    private static string Text(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static async Task<ConcurrentQueue<string>> SubscribeAsync(IDatabase db)
    {
        var messages = new ConcurrentQueue<string>();
        await db.Multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Key() + ":changes"), (_, message) => messages.Enqueue((string)message!));
        return messages;
    }

    /// <summary>Waits (bounded) for a change message that <paramref name="match"/> accepts.</summary>
    private static async Task<string> NextAsync(ConcurrentQueue<string> messages, Func<string, bool> match)
    {
        await RedisFlagStoreTests.WaitUntilAsync(() => messages.Any(match), "a change message");
        return messages.First(match);
    }
}
