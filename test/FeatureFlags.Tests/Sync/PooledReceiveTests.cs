using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using FeatureFlags.Model.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Sync;

/// <summary>
/// The streaming receive path: messages reassembled into pooled segments (<see cref="PooledMessageBuffer"/>) and parsed
/// from the segments; every rented segment goes back to the pool after the message, on an error and on cancellation.
/// </summary>
public sealed class PooledReceiveTests
{
    private const long V1 = 1_700_000_000_000;

    [Fact]
    public void Buffer_MessageOverManySegments_ReadsBackExactly_KeepsOnlyWhatTheLastMessageUsed_AndReturnsEverySegment()
    {
        var pool = new CountingPool();
        var message = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i},")));
        using (var buffer = new PooledMessageBuffer(pool))
        {
            Write(buffer, message, frame: 5_000);

            var used = buffer.RentedSegments;
            Assert.Equal(message.Length, buffer.Length);
            Assert.True(used > 5);
            Assert.Equal(message, buffer.GetSequence().ToArray());
            Assert.All(pool.Rented, size => Assert.True(size < 85_000, "a segment must stay off the large-object heap"));

            // Emptied, its segments kept: a message as large again rents nothing.
            buffer.Reset();
            Assert.Equal(0, buffer.Length);
            Assert.Equal(0, buffer.RentedSegments);
            Assert.Equal(used, buffer.HeldSegments);
            Write(buffer, message, frame: 7_000);
            Assert.Equal(message, buffer.GetSequence().ToArray());
            Assert.Equal(used, pool.RentCount);
            Assert.Equal(0, pool.ReturnCount);

            // A small message after it: the segments it did not need go back at its reset.
            buffer.Reset();
            Write(buffer, "{}"u8.ToArray(), frame: 1);
            Assert.Equal("{}"u8.ToArray(), buffer.GetSequence().ToArray());
            buffer.Reset();
            Assert.Equal(1, buffer.HeldSegments);
            Assert.Equal(used - 1, pool.ReturnCount);
        }

        Assert.Equal(pool.RentCount, pool.ReturnCount);
    }

    [Fact]
    public async Task Buffer_LoopEndingInAnErrorOrCancellation_ReturnsEverySegment()
    {
        var pool = new CountingPool();
        using var cts = new CancellationTokenSource();
        var receive = Task.Run(async () =>
        {
            using var buffer = new PooledMessageBuffer(pool);
            while (true)
            {
                var memory = buffer.GetMemory();
                memory.Span.Fill((byte)'x');
                buffer.Advance(memory.Length);
                if (buffer.Length > 100_000)
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cts.Token);
                }
            }
        }, TestContext.Current.CancellationToken);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive);
        Assert.True(pool.RentCount > 5);
        Assert.Equal(pool.RentCount, pool.ReturnCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Buffer_ExactSegmentsThenARequestThatFoundTheEnd_LeavesTheEmptySegmentOut(int segments)
    {
        // A reader asks for more room (a new, empty segment) before it learns the message has ended.
        using var buffer = new PooledMessageBuffer();
        var message = new byte[segments * PooledMessageBuffer.SegmentSize];
        new Random(segments).NextBytes(message);
        Write(buffer, message, frame: PooledMessageBuffer.SegmentSize);
        _ = buffer.GetMemory();

        var sequence = buffer.GetSequence();

        Assert.Equal(segments + 1, buffer.RentedSegments);
        Assert.Equal(message, sequence.ToArray());
        var spans = 0;
        foreach (var memory in sequence)
        {
            Assert.Equal(PooledMessageBuffer.SegmentSize, memory.Length);
            spans++;
        }

        Assert.Equal(segments, spans);
    }

    [Fact]
    public void Buffer_AdvancePastTheSegment_Throws()
    {
        using var buffer = new PooledMessageBuffer();
        var memory = buffer.GetMemory();

        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(memory.Length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(-1));
    }

    [Fact]
    public async Task Streaming_LargeMessageInManyFrames_ParsesAsTheSameBytesDo()
    {
        await using var h = await SyncHarness.CreateAsync();
        await h.StartAndSyncAsync();
        var flags = new JsonArray([.. Enumerable.Range(0, 1_500).Select(i => (JsonNode)FakeFeatBitServer.BoolFlag($"flag-{i:D4}", i % 2 == 0, V1 + i))]);
        var json = """{"messageType":"data-sync","data":{"eventType":"patch","featureFlags":""" + flags.ToJsonString() + ""","segments":[]}}""";
        Assert.True(json.Length > 10 * PooledMessageBuffer.SegmentSize);

        var change = h.NextChangeAsync();
        await h.Server.SendFragmentedAsync(json, 97, TestContext.Current.CancellationToken);

        Assert.Equal(1_500, (await change).FlagKeys.Count);
        var expected = WireJson.ReadDataSync(Encoding.UTF8.GetBytes(json)).FeatureFlags!.Items;
        foreach (var dto in expected)
        {
            Assert.True(h.Store.Current.TryGetLiveFlag(dto.Key!, out var flag));
            Assert.Equal(dto.UpdatedAt, flag.Version);
        }

        Assert.True(h.Client.BoolVariation("flag-0000", FlagUser.Create("u")));
        Assert.False(h.Client.BoolVariation("flag-0001", FlagUser.Create("u"), defaultValue: true));
    }

    private static void Write(PooledMessageBuffer buffer, byte[] message, int frame)
    {
        for (var offset = 0; offset < message.Length;)
        {
            var memory = buffer.GetMemory();
            var count = Math.Min(Math.Min(frame, memory.Length), message.Length - offset);
            message.AsSpan(offset, count).CopyTo(memory.Span);
            buffer.Advance(count);
            offset += count;
        }
    }
}
