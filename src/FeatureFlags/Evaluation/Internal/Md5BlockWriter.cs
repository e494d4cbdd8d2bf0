using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// Writes the padded MD5 block of a bucketing key (two parts, ASCII, at most <see cref="Md5.MaxSingleBlockLength"/>
/// chars together) as eight aligned 8-byte words, each once and in order, into an <see cref="Md5Block"/>
/// (<see cref="BlockWords"/>) or one lane of an <see cref="Md5Lanes"/> (<see cref="LaneWords"/>). Each 4-byte word a
/// compression reads back so comes from one write (a read that straddles two writes waits for them to reach the cache).
/// Little-endian hardware only: the callers check.
/// </summary>
internal static class Md5BlockWriter
{
    // The block is written as eight 8-byte words.
    private const int WordsPerBlock = Md5Block.WordCount / 2;

    /// <summary>
    /// Writes the words of the block of <paramref name="part1"/> + <paramref name="part2"/>: the first part's whole
    /// words, the word where the parts meet, the second part's bytes eight at a time (each word takes the bytes carried
    /// over from the previous eight), the 0x80 terminator, zeros, and the bit length. Returns false, the block then
    /// undefined, when the key does not fit or a char is not ASCII (<paramref name="part1"/> is not checked when
    /// <paramref name="part1IsAscii"/>: a flag key checked once).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWrite<TWords>(ReadOnlySpan<char> part1, bool part1IsAscii, ReadOnlySpan<char> part2, ref TWords words)
        where TWords : struct, IBlockWords, allows ref struct
    {
        int length = part1.Length + part2.Length;
        if (length > Md5.MaxSingleBlockLength)
        {
            return false;
        }

        ref ushort chars1 = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(part1));
        int index = part1.Length >> 3;
        for (int i = 0; i < index; i++)
        {
            if (!TryNarrow8(ref Unsafe.Add(ref chars1, i << 3), out ulong word) && !part1IsAscii)
            {
                return false;
            }

            words.Write(i, word);
        }

        // The first part's last, partial, word (0 when it fills whole words), carried into the second part's first.
        if (!TryNarrowTail(ref chars1, part1.Length, out ulong carry) && !part1IsAscii)
        {
            return false;
        }

        int shift = (part1.Length & 7) << 3;
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(part2));
        int whole = part2.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            if (!TryNarrow8(ref Unsafe.Add(ref chars, i), out ulong eight))
            {
                return false;
            }

            words.Write(index++, carry | (eight << shift));
            carry = eight >> 1 >> (63 - shift); // the bytes shifted out (none when the shift is 0)
        }

        if (!TryNarrowTail(ref chars, part2.Length, out ulong last))
        {
            return false;
        }

        // The terminator ends at byte 55 at the latest, so what spills past this word is zero when it would reach the last.
        last |= 0x80UL << ((part2.Length & 7) << 3);
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

    /// <summary>Where <see cref="TryWrite"/> puts the block's 8-byte words; a type argument, so each target is compiled on its own.</summary>
    internal interface IBlockWords
    {
        void Write(int index, ulong word);
    }

    /// <summary>Into one <see cref="Md5Block"/>, eight bytes per write (the compression's 4-byte reads each come from one write).</summary>
    internal readonly ref struct BlockWords(ref Md5Block block) : IBlockWords
    {
        private readonly ref Md5Block _block = ref block;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int index, ulong word) => MemoryMarshal.Cast<uint, ulong>((Span<uint>)_block)[index] = word;
    }

    /// <summary>Into one lane of an <see cref="Md5Lanes"/>, as its two 4-byte message words.</summary>
    internal readonly ref struct LaneWords(ref Md5Lanes lanes, int lane) : IBlockWords
    {
        private readonly ref Md5Lanes _lanes = ref lanes;
        private readonly int _lane = lane;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int index, ulong word) => _lanes.SetWordPair(_lane, index, word);
    }
}
