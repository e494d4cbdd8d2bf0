using System.Text;
using System.Text.Json;
using FeatureFlags.Internal;
using Xunit;

namespace FeatureFlags.Tests.Internal;

/// <summary><see cref="StreamBufferWriter"/>: what is written reaches the stream exactly, a chunk at a time.</summary>
public sealed class StreamBufferWriterTests
{
    [Fact]
    public void LargeDocument_ReachesTheStreamExactly_InChunksOfTheBuffer()
    {
        var stream = new RecordingStream();
        var values = Enumerable.Range(0, 50_000).Select(i => new string((char)('a' + (i % 26)), i % 40)).ToArray();
        using (var output = new StreamBufferWriter(stream))
        {
            using (var writer = new Utf8JsonWriter(output))
            {
                JsonSerializer.Serialize(writer, values);
            }

            output.Flush();
        }

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(values), stream.ToArray());
        Assert.True(stream.Writes.Count > 10, $"{stream.Writes.Count} writes");
        Assert.All(stream.Writes, w => Assert.True(w <= StreamBufferWriter.ChunkSize, $"a write of {w} bytes"));
    }

    [Fact]
    public void SizeHintLargerThanTheBuffer_IsServed_AfterWhatWasHeldIsWritten()
    {
        var stream = new RecordingStream();
        using var output = new StreamBufferWriter(stream);
        "abc"u8.CopyTo(output.GetSpan());
        output.Advance(3);

        var span = output.GetSpan(200_000);
        Assert.True(span.Length >= 200_000);
        span[..200_000].Fill((byte)'x');
        output.Advance(200_000);
        output.Flush();

        Assert.Equal([3, 200_000], stream.Writes);
        Assert.Equal("abc" + new string('x', 200_000), Encoding.ASCII.GetString(stream.ToArray()));
    }

    [Fact]
    public void AdvancePastTheMemoryGiven_Throws_AndADisposedWriterRefusesMore()
    {
        var output = new StreamBufferWriter(new RecordingStream());
        var free = output.GetMemory().Length;

        Assert.Throws<ArgumentOutOfRangeException>(() => output.Advance(free + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => output.Advance(-1));
        output.Dispose();
        Assert.Throws<ObjectDisposedException>(() => output.GetMemory());
        output.Dispose();
    }

    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes.Add(count);
            base.Write(buffer, offset, count);
        }
    }
}
