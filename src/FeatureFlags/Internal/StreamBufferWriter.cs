using System.Buffers;

namespace FeatureFlags.Internal;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that hands what is written on to a <see cref="Stream"/> in chunks of one pooled
/// buffer (64 KiB, grown only for a single write larger than that), so a large document serialised with a
/// <see cref="System.Text.Json.Utf8JsonWriter"/> in one call is never held whole in memory. <see cref="Flush"/> writes
/// what is left; <see cref="Dispose"/> returns the buffer to the pool (without writing).
/// </summary>
internal sealed class StreamBufferWriter : IBufferWriter<byte>, IDisposable
{
    /// <summary>The size of the buffer: what is written to the stream at a time.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _written;

    public StreamBufferWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _written);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Reserve first: it may replace the buffer.
        var start = Reserve(sizeHint);
        return _buffer.AsMemory(start);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _buffer.AsSpan(start);
    }

    /// <summary>Writes what the buffer holds to the stream.</summary>
    public void Flush()
    {
        if (_written > 0)
        {
            _stream.Write(_buffer, 0, _written);
            _written = 0;
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Room for at least sizeHint bytes (one when 0) at the end of the buffer: what it holds goes to the stream first
    // when there is not; a buffer too small even then is replaced by a larger one. Returns where the free space starts.
    private int Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return _written;
        }

        Flush();
        if (_buffer.Length < needed)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(needed);
        }

        return 0;
    }
}
