using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// A flag key's share of the bucket hash of its keys (flag key + dispatch value), worked out once when the flag is
/// compiled: the MD5 state after the steps that read only the key's whole 4-byte words. A user's bucket then costs
/// writing the block (the key's bytes, then the user's) and the remaining steps.
/// </summary>
/// <remarks>
/// Only for an ASCII flag key that leaves room in MD5's one block, on little-endian hardware (<see cref="TryCreate"/>
/// returns null otherwise, and <see cref="TryGetBucket"/> refuses a dispatch value that is not ASCII or does not fit):
/// the caller then takes <see cref="Bucketing.GetBucket(ReadOnlySpan{char}, ReadOnlySpan{char})"/>, which gives the
/// same bucket. The block is written as eight aligned 8-byte words, each once, so each word the compression reads
/// back comes from one write (a read that straddles two writes waits for them to reach the cache). 40 bytes per flag
/// that needs a bucket: the key's bytes are narrowed again for each block rather than kept.
/// </remarks>
internal sealed class BucketKeyPrefix
{
    // The block is written as eight 8-byte words.
    private const int WordsPerBlock = Md5Block.WordCount / 2;

    private readonly string _key;
    private readonly Md5State _state;

    private BucketKeyPrefix(string key)
    {
        _key = key;
        Unsafe.SkipInit(out Md5Block block);
        var sink = new BlockWords(ref block);
        TryWriteWords([], ref sink);
        _state = Md5.FirstSteps(block, key.Length / sizeof(uint));
    }

    /// <summary>The prefix of <paramref name="flagKey"/>, or null when its keys cannot take this path.</summary>
    public static BucketKeyPrefix? TryCreate(string flagKey)
        => BitConverter.IsLittleEndian && flagKey.Length <= Md5.MaxSingleBlockLength && System.Text.Ascii.IsValid(flagKey)
            ? new BucketKeyPrefix(flagKey)
            : null;

    /// <summary>The bucket of the flag key + <paramref name="value"/>, or false when the value is not ASCII or the key does not fit one block.</summary>
    [SkipLocalsInit] // every word of the block is written before it is read
    public bool TryGetBucket(ReadOnlySpan<char> value, out double bucket)
    {
        Unsafe.SkipInit(out Md5Block block);
        var sink = new BlockWords(ref block);
        if (!TryWriteWords(value, ref sink))
        {
            bucket = 0;
            return false;
        }

        bucket = Bucketing.ToBucket(Md5.FirstWordOfBlockFrom(_key.Length / sizeof(uint), _state, block));
        return true;
    }

    /// <summary>
    /// Writes the padded block of the flag key + <paramref name="value"/> as lane <paramref name="lane"/> of
    /// <paramref name="lanes"/>, or returns false when the value is not ASCII or the key does not fit one block (the lane
    /// is then undefined).
    /// </summary>
    public bool TryWriteLane(ref Md5Lanes lanes, int lane, ReadOnlySpan<char> value)
    {
        var sink = new LaneWords(ref lanes, lane);
        return TryWriteWords(value, ref sink);
    }

    /// <summary>
    /// Writes the eight 8-byte words of the padded block, each once and in order: the key's whole words, the word where
    /// the key ends and the value starts, the value's bytes eight at a time (each word takes the bytes carried over from
    /// the previous eight), the 0x80 terminator, zeros, and the bit length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWriteWords<TWords>(ReadOnlySpan<char> value, ref TWords words)
        where TWords : struct, IBlockWords, allows ref struct
    {
        int keyLength = _key.Length;
        int length = keyLength + value.Length;
        if (length > Md5.MaxSingleBlockLength)
        {
            return false;
        }

        // The key's whole 8-byte words, then its last, partial, word (0 when the key fills whole words): ASCII, as
        // TryCreate checked.
        ref ushort keyChars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(_key.AsSpan()));
        int index = keyLength >> 3;
        for (int i = 0; i < index; i++)
        {
            TryNarrow8(ref Unsafe.Add(ref keyChars, i << 3), out ulong keyWord);
            words.Write(i, keyWord);
        }

        TryNarrowTail(ref keyChars, keyLength, out ulong carry);
        int shift = (keyLength & 7) << 3;
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(value));
        int whole = value.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            if (!TryNarrow8(ref Unsafe.Add(ref chars, i), out ulong eight))
            {
                return false;
            }

            words.Write(index++, carry | (eight << shift));
            carry = eight >> 1 >> (63 - shift); // the bytes shifted out (none when the shift is 0)
        }

        if (!TryNarrowTail(ref chars, value.Length, out ulong last))
        {
            return false;
        }

        // The terminator ends at byte 55 at the latest, so what spills past this word is zero when it would reach the last.
        last |= 0x80UL << ((value.Length & 7) << 3);
        words.Write(index++, carry | (last << shift));
        ulong spill = last >> 1 >> (63 - shift);
        for (; index < WordsPerBlock - 1; index++)
        {
            words.Write(index, spill);
            spill = 0;
        }

        words.Write(WordsPerBlock - 1, (ulong)length << 3); // bit length (its high word is 0)
        return true;
    }

    /// <summary>
    /// The last <paramref name="length"/> % 8 of <paramref name="length"/> chars as that many low bytes (0 when
    /// <paramref name="length"/> is a multiple of 8), false if one is above U+007F: the last eight chars, overlapping the
    /// whole words before them, shifted to keep only the new ones, or one char at a time when there are fewer than eight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNarrowTail(ref ushort chars, int length, out ulong bytes)
    {
        int rest = length & 7;
        if (rest == 0)
        {
            bytes = 0;
            return true;
        }

        if (length < 8)
        {
            return TryNarrowShort(ref chars, rest, out bytes);
        }

        bool ascii = TryNarrow8(ref Unsafe.Add(ref chars, length - 8), out ulong tail);
        bytes = tail >> ((8 - rest) << 3);
        return ascii;
    }

    // Eight chars to eight bytes, false if one is above U+007F.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNarrow8(ref ushort chars, out ulong bytes)
    {
        if (Vector128.IsHardwareAccelerated)
        {
            var v = Vector128.LoadUnsafe(ref chars);
            bytes = Vector128.Narrow(v, v).AsUInt64().ToScalar();
            return (v & Vector128.Create((ushort)0xFF80)) == Vector128<ushort>.Zero;
        }

        return TryNarrowShort(ref chars, 8, out bytes);
    }

    // Up to eight chars to as many bytes, one at a time.
    private static bool TryNarrowShort(ref ushort chars, int count, out ulong bytes)
    {
        bytes = 0;
        for (int i = 0; i < count; i++)
        {
            uint c = Unsafe.Add(ref chars, i);
            if (c > 0x7F)
            {
                return false;
            }

            bytes |= (ulong)c << (i << 3);
        }

        return true;
    }

    /// <summary>Where <see cref="TryWriteWords"/> puts the block's 8-byte words; a type argument, so each target is compiled on its own.</summary>
    private interface IBlockWords
    {
        void Write(int index, ulong word);
    }

    /// <summary>Into one <see cref="Md5Block"/>, eight bytes per write (the compression's 4-byte reads each come from one write).</summary>
    private readonly ref struct BlockWords(ref Md5Block block) : IBlockWords
    {
        private readonly ref Md5Block _block = ref block;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int index, ulong word) => MemoryMarshal.Cast<uint, ulong>((Span<uint>)_block)[index] = word;
    }

    /// <summary>Into one lane of an <see cref="Md5Lanes"/>, as its two 4-byte message words.</summary>
    private readonly ref struct LaneWords(ref Md5Lanes lanes, int lane) : IBlockWords
    {
        private readonly ref Md5Lanes _lanes = ref lanes;
        private readonly int _lane = lane;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int index, ulong word) => _lanes.SetWordPair(_lane, index, word);
    }
}
