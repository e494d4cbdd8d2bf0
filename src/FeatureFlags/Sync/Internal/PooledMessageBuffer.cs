using System.Buffers;

namespace FeatureFlags.Sync.Internal;

/// <summary>
/// Where a message (a WebSocket message, a polled body) is reassembled: a chain of pooled, fixed-size segments
/// (small-object heap, never the large-object heap), read as one <see cref="ReadOnlySequence{T}"/>. A 5 MB full
/// data-sync therefore costs no growing copies and no large allocations. <see cref="Reset"/> keeps the segments the
/// message used, and only those, for the next message: a message no larger than the one before it rents nothing (full
/// polls one after another), and a smaller one hands the rest back to the pool, so the buffer holds no more than its last
/// message needed. <see cref="Dispose"/> hands every segment back.
/// </summary>
internal sealed class PooledMessageBuffer : IDisposable
{
    /// <summary>The size of one segment: well under the 85,000-byte large-object threshold.</summary>
    public const int SegmentSize = 16 * 1024;

    private readonly ArrayPool<byte> _pool;
    private readonly List<byte[]> _segments = [];

    // The segments of the previous message that this one has not reused yet.
    private readonly Stack<byte[]> _spare = new();
    private int _lastWritten;

    public PooledMessageBuffer(ArrayPool<byte>? pool = null)
    {
        _pool = pool ?? ArrayPool<byte>.Shared;
    }

    /// <summary>The bytes written since the last <see cref="Reset"/>.</summary>
    public long Length { get; private set; }

    /// <summary>The segments holding the current message (zero after <see cref="Reset"/>).</summary>
    public int RentedSegments => _segments.Count;

    /// <summary>The segments held, the current message's and those kept for reuse (zero after <see cref="Dispose"/>).</summary>
    public int HeldSegments => _segments.Count + _spare.Count;

    /// <summary>Free space at the end of the message, at least one byte (a new segment is rented when the last is full).</summary>
    public Memory<byte> GetMemory()
    {
        if (_segments.Count == 0 || _lastWritten == _segments[^1].Length)
        {
            _segments.Add(_spare.Count > 0 ? _spare.Pop() : _pool.Rent(SegmentSize));
            _lastWritten = 0;
        }

        return _segments[^1].AsMemory(_lastWritten);
    }

    /// <summary>Records that <paramref name="count"/> bytes were written into the last <see cref="GetMemory"/>.</summary>
    public void Advance(int count)
    {
        if (count < 0 || (count > 0 && (_segments.Count == 0 || _lastWritten + count > _segments[^1].Length)))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _lastWritten += count;
        Length += count;
    }

    /// <summary>The message so far; valid until the next <see cref="Reset"/> or <see cref="GetMemory"/>.</summary>
    public ReadOnlySequence<byte> GetSequence()
    {
        // A segment rented for a read that found the end (a message of an exact number of segments) holds nothing: it is
        // left out, so such a message is not one segment longer than it needs (and one segment stays one span).
        var count = _segments.Count;
        var lastLength = _lastWritten;
        if (count > 1 && lastLength == 0)
        {
            count--;
            lastLength = _segments[count - 1].Length;
        }

        if (count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (count == 1)
        {
            return new ReadOnlySequence<byte>(_segments[0], 0, lastLength);
        }

        var first = new Segment(_segments[0], _segments[0].Length, 0);
        var last = first;
        for (var i = 1; i < count; i++)
        {
            last = last.Append(_segments[i], i == count - 1 ? lastLength : _segments[i].Length);
        }

        return new ReadOnlySequence<byte>(first, 0, last, lastLength);
    }

    /// <summary>Empties the message, keeping its segments for the next one and returning any it did not need.</summary>
    public void Reset()
    {
        ReturnSpare();
        foreach (var segment in _segments)
        {
            _spare.Push(segment);
        }

        _segments.Clear();
        _lastWritten = 0;
        Length = 0;
    }

    /// <summary>Empties the message and returns every segment, kept ones included, to the pool.</summary>
    public void Dispose()
    {
        Reset();
        ReturnSpare();
    }

    private void ReturnSpare()
    {
        while (_spare.TryPop(out var segment))
        {
            _pool.Return(segment);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] array, int length, long runningIndex)
        {
            Memory = array.AsMemory(0, length);
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] array, int length)
        {
            var next = new Segment(array, length, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
