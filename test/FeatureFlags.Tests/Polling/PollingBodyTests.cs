using System.Text;
using System.Text.Json.Nodes;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Polling;

/// <summary>
/// How a polled response body is read: into pooled 16 KiB segments (never one large array), parsed from them, and handed
/// back; bounded by <c>Streaming:MaxMessageSize</c> with or without a <c>Content-Length</c>; checked as UTF-8 across the
/// segments' edges.
/// </summary>
public sealed class PollingBodyTests
{
    private const long V1 = 1_700_000_000_000;
    private const int FlagCount = 2_000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LargeFullResponse_IsReadIntoPooledSegments_CommitsEveryFlag_AndReturnsEverySegment(bool chunked)
    {
        var pool = new CountingPool();
        await using var h = await PollingHarness.CreateAsync(bufferPool: pool);
        h.Server.ChunkedPollResponses = chunked;
        for (var i = 0; i < FlagCount; i++)
        {
            h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag($"flag-{i:D4}", i % 2 == 0, V1 + i));
        }

        var size = Encoding.UTF8.GetByteCount(h.Server.FullDataSyncJson());
        await h.StartAndSyncAsync();

        Assert.Equal(FlagCount, h.Store.FlagKeys.Count);
        Assert.True(h.Client.BoolVariation("flag-1998", FlagUser.Create("u")));
        Assert.False(h.Client.BoolVariation("flag-1999", FlagUser.Create("u"), defaultValue: true));
        Assert.Equal(V1 + FlagCount - 1, h.Store.Version);

        // One segment per 16 KiB of body, none on the large-object heap.
        var segments = (size + PooledMessageBuffer.SegmentSize - 1) / PooledMessageBuffer.SegmentSize;
        Assert.True(size > 40 * PooledMessageBuffer.SegmentSize, $"the body is {size} bytes");
        Assert.Equal(segments, pool.RentCount);
        Assert.All(pool.Rented, s => Assert.Equal(PooledMessageBuffer.SegmentSize, s));

        // The next poll's empty body needs at most the one segment offered to its read: the rest go back to the pool.
        await h.AdvanceUntilPollsAsync(2, TimeSpan.FromSeconds(5));
        await h.AdvanceUntilAsync(() => pool.ReturnCount >= segments - 1, "the segments returned", TimeSpan.Zero, 200);
        Assert.Equal(segments, pool.RentCount);

        // Stopped: nothing is held.
        await h.Service.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(pool.RentCount, pool.ReturnCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResponseAboveMaxMessageSize_IsRefused_ReadingAtMostOneSegmentPastIt_AndTheLastFlagsKeepServing(bool chunked)
    {
        const int maxMessageSize = 64 * 1024;
        var pool = new CountingPool();
        await using var h = await PollingHarness.CreateAsync(o => o.Streaming.MaxMessageSize = maxMessageSize, pool);
        h.Server.ChunkedPollResponses = chunked;
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var rentsBefore = pool.RentCount;

        // A change far above the limit (the patch reply carries all of it): about 1 MB.
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1));
        for (var i = 0; i < FlagCount; i++)
        {
            h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag($"flag-{i:D4}", true, V1 + 1));
        }

        await h.AdvanceUntilAsync(() => h.Status.Current.LastError?.Contains("Streaming:MaxMessageSize", StringComparison.Ordinal) == true, "the refusal");

        Assert.Equal(FeatureFlagsState.Interrupted, h.Status.Current.State);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        Assert.Equal(V1, h.Store.Version);
        Assert.Equal("flag-a", Assert.Single(h.Store.FlagKeys));
        Assert.DoesNotContain(h.Server.Secret, h.AllLogText(), StringComparison.Ordinal);

        // With a Content-Length the body is refused before it is read; without one, reading stops one segment past the limit.
        var rented = pool.RentCount - rentsBefore;
        Assert.True(
            chunked ? rented <= (maxMessageSize / PooledMessageBuffer.SegmentSize) + 1 : rented == 0,
            $"{rented} segments rented for the refused response");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CharSplitBetweenTwoSegments_IsCheckedWhole(bool valid)
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.Interval = TimeSpan.FromSeconds(1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        // "é" (C3 A9) with its first byte the last of the first segment; the invalid body has C3 41 ("\xC3A") there.
        var body = PatchWithCharAtSegmentEdge(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1));
        if (!valid)
        {
            body[PooledMessageBuffer.SegmentSize] = (byte)'A';
        }

        h.Server.EnqueuePollFault(PollFault.Raw(body));
        if (valid)
        {
            await h.AdvanceUntilAsync(() => h.Store.Version == V1 + 1, "the patch committed");
            Assert.False(h.Client.BoolVariation("flag-a", FlagUser.Create("u"), defaultValue: true));
        }
        else
        {
            await h.AdvanceUntilAsync(() => h.Logs.GetSnapshot().Any(r => r.Id.Id == 2106), "the body ignored");
            Assert.Contains("not valid UTF-8", h.AllLogText(), StringComparison.Ordinal);
            Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
            Assert.Equal(V1, h.Store.Version);
            Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
        }
    }

    /// <summary>A patch envelope of <paramref name="flag"/>, its description padded so that an "é" straddles the first segment's end.</summary>
    private static byte[] PatchWithCharAtSegmentEdge(JsonObject flag)
    {
        const string placeholder = "@@@";
        flag["description"] = placeholder;
        var envelope = new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject { ["eventType"] = "patch", ["featureFlags"] = new JsonArray(flag), ["segments"] = new JsonArray() },
        }.ToJsonString();
        var before = Encoding.UTF8.GetByteCount(envelope[..envelope.IndexOf(placeholder, StringComparison.Ordinal)]);
        var padded = envelope.Replace(placeholder, new string('x', PooledMessageBuffer.SegmentSize - 1 - before) + "é", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(padded);
        Assert.Equal(0xC3, bytes[PooledMessageBuffer.SegmentSize - 1]);
        Assert.Equal(0xA9, bytes[PooledMessageBuffer.SegmentSize]);
        return bytes;
    }
}
