using System.Runtime.CompilerServices;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// One 64-byte MD5 message block as sixteen little-endian words: a bucketing key of ASCII chars is narrowed straight
/// into it and padded in place (<see cref="Md5BlockWriter"/>), so a short key is hashed with no encoder call, no copy
/// and no stack buffer to clear.
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
        Unsafe.SkipInit(out block);
        if (!BitConverter.IsLittleEndian)
        {
            return false;
        }

        var words = new Md5BlockWriter.BlockWords(ref block);
        return Md5BlockWriter.TryWrite(part1, part1IsAscii: false, part2, ref words);
    }

    /// <summary>The MD5 digest's first four bytes, as a little-endian <see cref="int"/>, of the message this block pads.</summary>
    public readonly int HashFirstInt32() => Md5.FirstWordOfBlock(this);
}
