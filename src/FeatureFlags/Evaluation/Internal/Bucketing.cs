using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>FeatBit percentage bucketing: MD5 of the UTF-8 hash key mapped onto [0, 1].</summary>
/// <remarks>
/// <c>bucket = |Int32LE(MD5(UTF-8(key))[0..4]) / int.MinValue|</c>, where the key is the concatenation of the
/// parts with no delimiter. Encoding and hashing happen on the stack; keys too long for the stack buffer rent
/// from <see cref="ArrayPool{T}.Shared"/>, so no call allocates in the steady state.
/// </remarks>
internal static class Bucketing
{
    // UTF-8 bytes hashed without touching the pool; ASCII keys of up to this many chars stay on the stack.
    private const int StackBufferSize = 256;

    // Rollouts whose upper bound is within this of 1 and whose lower bound is 0 include everyone (FeatBit rule).
    private const double FullRolloutTolerance = 1e-5;

    /// <summary>Bucket in [0, 1] of the hash key <paramref name="part1"/> + <paramref name="part2"/>.</summary>
    /// <remarks>
    /// The common key (ASCII, at most 55 bytes: a flag key and a user key) is narrowed straight into one MD5 block
    /// (<see cref="Md5Block"/>) and hashed once, computing only the digest word the bucket reads.
    /// </remarks>
    public static double GetBucket(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2) => ToBucket(GetFirstWord(part1, part2));

    /// <summary>Bucket in [0, 1] of the hash key <paramref name="part1"/> + <paramref name="part2"/> + <paramref name="part3"/>.</summary>
    public static double GetBucket(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2, ReadOnlySpan<char> part3)
        => ToBucket(GetFirstWord(part1, part2, part3));

    /// <summary>
    /// The digest word (<see cref="ToBucket"/>, <see cref="ToUnits"/>) of <paramref name="flag"/>'s key +
    /// <paramref name="value"/>: from the flag's <see cref="CompiledFlag.BucketPrefix"/> when it has one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // keeps the hashing's stack blocks out of the evaluator's frame
    [SkipLocalsInit] // every word of the prefix's block is written before it is read
    public static int GetFirstWord(CompiledFlag flag, string value)
        => flag.BucketPrefix is { } prefix && prefix.TryGetFirstWord(value, out var word) ? word : GetFirstWord(flag.Key, value);

    /// <summary>The digest word of the hash key <paramref name="part1"/> + <paramref name="part2"/>.</summary>
    [SkipLocalsInit] // the block is cleared by Md5Block itself
    private static int GetFirstWord(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2)
        => Md5Block.TryWriteAsciiKey(part1, part2, out var block) ? block.HashFirstInt32() : GetFirstWord(part1, part2, []);

    /// <summary>The digest word of the hash key <paramref name="part1"/> + <paramref name="part2"/> + <paramref name="part3"/>.</summary>
    [SkipLocalsInit] // only the written prefix of the stack buffer is read
    private static int GetFirstWord(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2, ReadOnlySpan<char> part3)
    {
        int totalChars = part1.Length + part2.Length + part3.Length;

        // Every char needs at least one UTF-8 byte, so longer keys cannot fit; a surrogate pair split across
        // parts must be encoded as one code point, which encoding the parts one by one would not do.
        if (totalChars <= StackBufferSize && !SplitsSurrogatePair(part1, part2, part3))
        {
            Span<byte> utf8 = stackalloc byte[StackBufferSize];
            if (TryEncode(part1, utf8, out int written1)
                && TryEncode(part2, utf8[written1..], out int written2)
                && TryEncode(part3, utf8[(written1 + written2)..], out int written3))
            {
                // The common case (a user key and a short salt) fits MD5's only block: it is padded in place, in the
                // buffer it was encoded into, and compressed once.
                int written = written1 + written2 + written3;
                return written <= Md5.MaxSingleBlockLength
                    ? Md5.HashFirstInt32InPlace(utf8, written)
                    : Md5.HashFirstInt32(utf8[..written]);
            }
        }

        return GetFirstWordPooled(part1, part2, part3);
    }

    /// <summary>Whether the hash key <paramref name="part1"/> + <paramref name="part2"/> falls in the rollout [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static bool IsInRollout(double min, double max, ReadOnlySpan<char> part1, ReadOnlySpan<char> part2)
        => TryShortcut(min, max, out bool result) ? result : IsInInterval(GetBucket(part1, part2), min, max);

    /// <summary>Whether the hash key <paramref name="part1"/> + <paramref name="part2"/> + <paramref name="part3"/> falls in the rollout [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static bool IsInRollout(double min, double max, ReadOnlySpan<char> part1, ReadOnlySpan<char> part2, ReadOnlySpan<char> part3)
        => TryShortcut(min, max, out bool result) ? result : IsInInterval(GetBucket(part1, part2, part3), min, max);

    /// <summary>The rollout test for an already computed <paramref name="bucket"/>, shortcuts included.</summary>
    public static bool IsInRolloutBucket(double bucket, double min, double max)
        => TryShortcut(min, max, out bool result) ? result : IsInInterval(bucket, min, max);

    /// <summary>False when the rollout answer does not depend on the bucket ([0, ~1] is everyone, [0, 0] is no one).</summary>
    public static bool RequiresHash(double min, double max) => !TryShortcut(min, max, out _);

    /// <summary>
    /// Maps the first digest word onto [0, 1]: |word / int.MinValue|, which keeps <see cref="int.MinValue"/> at 1.0.
    /// Dividing by -2^31 is multiplying by -2^-31 exactly (a power of two only moves the exponent), so the product
    /// is bit for bit the quotient, without the division's latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToBucket(int firstDigestWord) => Math.Abs(firstDigestWord * InverseOfIntMinValue);

    private const double InverseOfIntMinValue = -1.0 / 2147483648.0;

    /// <summary>How many units one bucket is: a bucket is its digest word's magnitude in units of 2^-31.</summary>
    private const double UnitsPerBucket = 2147483648.0;

    /// <summary>
    /// The bucket of <paramref name="firstDigestWord"/> in whole units of 2^-31: |word|, with <see cref="int.MinValue"/>
    /// giving 2^31 (bucket 1.0). <see cref="ToBucket"/> is exactly this times 2^-31.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ToUnits(int firstDigestWord)
    {
        var sign = firstDigestWord >> 31;
        return unchecked((uint)((firstDigestWord ^ sign) - sign));
    }

    /// <summary>
    /// The bound <paramref name="max"/> (at least 0, or NaN) in whole units: the largest unit count whose bucket is at
    /// most <paramref name="max"/>, capped at 2^31, so that for every digest word
    /// <c>max &lt; ToBucket(word)</c> exactly when <c>UnitsOf(max) &lt; ToUnits(word)</c> (a bucket is a whole number of
    /// units, so it exceeds <paramref name="max"/> exactly when it exceeds the whole part of <paramref name="max"/>'s units).
    /// </summary>
    public static uint UnitsOf(double max)
        => max >= 1 || double.IsNaN(max) ? 1u << 31 : max <= 0 ? 0 : (uint)Math.Floor(max * UnitsPerBucket);

    // FeatBit's rules, in FeatBit's order: [0, >= 0.99999] includes everyone (so [0, 0.99999] does too),
    // [0, 0] includes no one. Neither needs the hash.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryShortcut(double min, double max, out bool result)
    {
        if (min == 0)
        {
            if (1 - max < FullRolloutTolerance)
            {
                result = true;
                return true;
            }

            if (max == 0)
            {
                result = false;
                return true;
            }
        }

        result = false;
        return false;
    }

    // Both ends inclusive.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsInInterval(double bucket, double min, double max) => min <= bucket && bucket <= max;

    // UTF-8 with U+FFFD for lone surrogates, exactly like Encoding.UTF8.GetBytes(string).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryEncode(ReadOnlySpan<char> source, Span<byte> destination, out int written)
        => Utf8.FromUtf16(source, destination, out _, out written, replaceInvalidSequences: true, isFinalBlock: true)
            == OperationStatus.Done;

    // True when a high surrogate ends one non-empty part and a low surrogate starts the next non-empty part.
    private static bool SplitsSurrogatePair(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2, ReadOnlySpan<char> part3)
        => part2.IsEmpty
            ? Splits(part1, part3)
            : Splits(part1, part2) || Splits(part2, part3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Splits(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
        => !left.IsEmpty && !right.IsEmpty && char.IsHighSurrogate(left[^1]) && char.IsLowSurrogate(right[0]);

    // Rare path: long keys, or a surrogate pair split across parts. Concatenates the chars, encodes once.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int GetFirstWordPooled(ReadOnlySpan<char> part1, ReadOnlySpan<char> part2, ReadOnlySpan<char> part3)
    {
        int totalChars = part1.Length + part2.Length + part3.Length;
        char[] chars = ArrayPool<char>.Shared.Rent(totalChars);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(totalChars));
        try
        {
            part1.CopyTo(chars);
            part2.CopyTo(chars.AsSpan(part1.Length));
            part3.CopyTo(chars.AsSpan(part1.Length + part2.Length));
            int written = Encoding.UTF8.GetBytes(chars.AsSpan(0, totalChars), bytes);
            return Md5.HashFirstInt32(bytes.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
