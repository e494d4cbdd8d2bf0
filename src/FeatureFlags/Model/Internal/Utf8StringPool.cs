using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace FeatureFlags.Model.Internal;

/// <summary>
/// Deduplicates the short strings of one parse: a data-sync repeats the same few texts thousands of times (variation
/// values "true"/"false", property names, operators, rule names, dispatch keys, user keys of target lists), and each
/// is allocated once and shared. Keyed by the UTF-8 bytes, so a repeated value costs a hash and a compare, not a
/// decode and an allocation. Not thread-safe; one pool per parse, dropped afterwards.
/// </summary>
internal sealed class Utf8StringPool
{
    /// <summary>Longer texts are decoded as they are: they rarely repeat.</summary>
    public const int MaxPooledLength = 64;

    // A chain longer than this (a hostile set of colliding texts) stops pooling for the new text instead of growing.
    private const int MaxChain = 8;

    private int[] _buckets;
    private Entry[] _entries;
    private byte[] _bytes;
    private int _count;
    private int _used;

    /// <summary>A pool for a large message (room for 256 texts before it grows).</summary>
    public Utf8StringPool()
        : this(256)
    {
    }

    /// <summary>A pool sized for about <paramref name="expectedTexts"/> distinct texts (16 to 256; it grows past them).</summary>
    /// <remarks>A one-flag patch needs a few dozen: its parse should not allocate room for hundreds.</remarks>
    public Utf8StringPool(int expectedTexts)
    {
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(expectedTexts, 16, 256));
        _buckets = new int[capacity];
        _entries = new Entry[capacity];
        _bytes = new byte[capacity * 16];
    }

    /// <summary>Gets the string of <paramref name="utf8"/> (valid UTF-8), shared with every earlier equal text.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0)
        {
            return string.Empty;
        }

        if (utf8.Length > MaxPooledLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hash = Hash(utf8);
        var chain = 0;
        for (var i = _buckets[hash & (_buckets.Length - 1)] - 1; i >= 0; i = _entries[i].Next)
        {
            ref var entry = ref _entries[i];
            if (entry.Hash == hash && _bytes.AsSpan(entry.Offset, entry.Length).SequenceEqual(utf8))
            {
                return entry.Value;
            }

            chain++;
        }

        var value = Encoding.UTF8.GetString(utf8);
        if (chain < MaxChain)
        {
            Add(utf8, hash, value);
        }

        return value;
    }

    private void Add(ReadOnlySpan<byte> utf8, int hash, string value)
    {
        if (_count == _entries.Length)
        {
            Grow();
        }

        if (_used + utf8.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + utf8.Length));
        }

        utf8.CopyTo(_bytes.AsSpan(_used));
        ref var bucket = ref _buckets[hash & (_buckets.Length - 1)];
        _entries[_count] = new Entry { Hash = hash, Offset = _used, Length = utf8.Length, Value = value, Next = bucket - 1 };
        bucket = _count + 1;
        _count++;
        _used += utf8.Length;
    }

    private void Grow()
    {
        Array.Resize(ref _entries, _entries.Length * 2);
        _buckets = new int[_entries.Length];
        for (var i = 0; i < _count; i++)
        {
            ref var bucket = ref _buckets[_entries[i].Hash & (_buckets.Length - 1)];
            _entries[i].Next = bucket - 1;
            bucket = i + 1;
        }
    }

    /// <summary>
    /// Every byte, eight at a time (a multiply and a rotate per block: a 10-byte text is two blocks, not ten steps);
    /// the last block overlaps the one before it, and texts under 8 bytes are read as two overlapping 4-byte halves
    /// or three bytes (the length, in the seed, tells such texts apart). No seed needed: chains are capped against
    /// collisions.
    /// </summary>
    internal static int Hash(ReadOnlySpan<byte> utf8)
    {
        const ulong Prime = 0x9E3779B97F4A7C15;
        var length = utf8.Length;
        var hash = (ulong)length * Prime;
        if (length >= 8)
        {
            for (var i = 0; i + 8 < length; i += 8)
            {
                hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(utf8[i..])) * Prime, 29);
            }

            hash = BitOperations.RotateLeft((hash ^ BinaryPrimitives.ReadUInt64LittleEndian(utf8[(length - 8)..])) * Prime, 29);
        }
        else if (length >= 4)
        {
            var halves = BinaryPrimitives.ReadUInt32LittleEndian(utf8) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(utf8[(length - 4)..]) << 32);
            hash = BitOperations.RotateLeft((hash ^ halves) * Prime, 29);
        }
        else if (length > 0)
        {
            var bytes = utf8[0] | ((ulong)utf8[length >> 1] << 8) | ((ulong)utf8[length - 1] << 16);
            hash = BitOperations.RotateLeft((hash ^ bytes) * Prime, 29);
        }

        hash *= Prime;
        return (int)(hash >> 32) ^ (int)hash;
    }

    private struct Entry
    {
        public int Hash;
        public int Next;
        public int Offset;
        public int Length;
        public string Value;
    }
}
