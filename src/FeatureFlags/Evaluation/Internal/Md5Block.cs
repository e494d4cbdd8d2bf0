using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// One 64-byte MD5 message block as sixteen little-endian words: a bucketing key of ASCII chars is narrowed straight
/// into it and padded in place, so a short key is hashed with no encoder call, no copy and no stack buffer to clear.
/// </summary>
/// <remarks>
/// A key whose UTF-8 bytes are its ASCII chars and that fits MD5's only block (at most
/// <see cref="Md5.MaxSingleBlockLength"/> bytes) is the common case: user keys, ids and flag keys. Anything else
/// (a non-ASCII char, a longer key, big-endian hardware) is refused, and the caller takes the general UTF-8 path,
/// which produces the same bytes for ASCII.
/// </remarks>
[InlineArray(WordCount)]
internal struct Md5Block
{
    /// <summary>Number of 32-bit message words in a block.</summary>
    public const int WordCount = 16;

    private uint _word0;

    /// <summary>
    /// Writes to <paramref name="block"/> the padded block of the key <paramref name="part1"/> + <paramref name="part2"/>, or returns false (the
    /// block is then undefined) when a char is not ASCII or the key does not fit one block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryWriteAsciiKey(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2, out Md5Block block)
    {
        int length = part1.Length + part2.Length;
        if (length > Md5.MaxSingleBlockLength || !BitConverter.IsLittleEndian)
        {
            Unsafe.SkipInit(out block);
            return false;
        }

        // Zero first (a few vector stores), then the key, the 0x80 terminator and the bit length over it.
        block = default;
        ref byte bytes = ref Unsafe.As<Md5Block, byte>(ref block);
        if (!TryNarrowAscii(part1, ref bytes) || !TryNarrowAscii(part2, ref Unsafe.Add(ref bytes, part1.Length)))
        {
            return false;
        }

        Unsafe.Add(ref bytes, length) = 0x80;
        block[WordCount - 2] = (uint)length << 3; // bit length, low word (the high word stays 0)
        return true;
    }

    /// <summary>The MD5 digest's first four bytes, as a little-endian <see cref="int"/>, of the message this block pads.</summary>
    public readonly int HashFirstInt32() => Md5.FirstWordOfBlock(this);

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> one byte per char, or returns false at the
    /// first char above U+007F. Eight chars at a time with one SIMD test and narrow; a last partial chunk overlaps
    /// the previous one (rewriting the same bytes) so nothing is read or written outside the two ranges.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNarrowAscii(ReadOnlySpan<char> source, ref byte destination)
    {
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(source));
        nuint length = (nuint)source.Length;
        if (length < (nuint)Vector128<ushort>.Count || !Vector128.IsHardwareAccelerated)
        {
            for (nuint i = 0; i < length; i++)
            {
                uint c = Unsafe.Add(ref chars, i);
                if (c > 0x7F)
                {
                    return false;
                }

                Unsafe.Add(ref destination, i) = (byte)c;
            }

            return true;
        }

        nuint last = length - (nuint)Vector128<ushort>.Count;
        for (nuint i = 0; i < last; i += (nuint)Vector128<ushort>.Count)
        {
            if (!TryNarrow8(ref chars, ref destination, i))
            {
                return false;
            }
        }

        return TryNarrow8(ref chars, ref destination, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryNarrow8(ref ushort chars, ref byte destination, nuint offset)
    {
        var v = Vector128.LoadUnsafe(ref chars, offset);
        if ((v & Vector128.Create((ushort)0xFF80)) != Vector128<ushort>.Zero)
        {
            return false;
        }

        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, offset), Vector128.Narrow(v, v).AsUInt64().ToScalar());
        return true;
    }
}
