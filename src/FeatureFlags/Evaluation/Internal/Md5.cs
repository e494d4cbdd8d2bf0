using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>Allocation-free managed MD5 (RFC 1321), tuned for the short keys used by percentage bucketing.</summary>
/// <remarks>
/// MD5 is used here only as FeatBit's bucketing function, never for security. The platform implementation
/// (<c>System.Security.Cryptography.MD5</c>) goes through OpenSSL and costs several hundred nanoseconds per
/// call, mostly interop and context setup; this one produces byte-identical digests at the cost of the 64
/// MD5 steps per block alone (roughly a fifth of the platform call for a one-block key).
/// </remarks>
internal static class Md5
{
    /// <summary>Size of an MD5 digest in bytes.</summary>
    public const int HashSizeInBytes = 16;

    private const int BlockSize = 64;

    // Initial chaining values (RFC 1321, section 3.3), as little-endian words.
    private const uint InitA = 0x67452301u;
    private const uint InitB = 0xEFCDAB89u;
    private const uint InitC = 0x98BADCFEu;
    private const uint InitD = 0x10325476u;

    /// <summary>Computes the MD5 digest of <paramref name="source"/> into the first 16 bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 16 bytes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < HashSizeInBytes)
        {
            throw new ArgumentException("Destination is too short to hold an MD5 digest (16 bytes).", nameof(destination));
        }

        Hash(source, out uint a, out uint b, out uint c, out uint d);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, a);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], b);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], c);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], d);
    }

    /// <summary>
    /// Returns digest bytes 0..3 of MD5(<paramref name="source"/>) read as a little-endian <see cref="int"/>,
    /// i.e. <c>BinaryPrimitives.ReadInt32LittleEndian(MD5.HashData(source))</c>, without materialising the digest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int HashFirstInt32(ReadOnlySpan<byte> source)
    {
        Hash(source, out uint a, out _, out _, out _);

        // The digest starts with state word A in little-endian order.
        return unchecked((int)a);
    }

    /// <summary>The most message bytes that fit, with MD5's padding, in one 64-byte block.</summary>
    public const int MaxSingleBlockLength = BlockSize - sizeof(ulong) - 1;

    /// <summary>
    /// Like <see cref="HashFirstInt32"/> for a message of at most <see cref="MaxSingleBlockLength"/> bytes that the
    /// caller wrote at the start of <paramref name="block"/> (64 bytes, the rest of it in any state): pads the block in
    /// place and compresses it once, with no copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int HashFirstInt32InPlace(Span<byte> block, int length)
    {
        if ((uint)length > MaxSingleBlockLength || block.Length < BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "The message and its padding must fit in one 64-byte block.");
        }

        block[length] = 0x80;
        block[(length + 1)..(BlockSize - sizeof(ulong))].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(block[(BlockSize - sizeof(ulong))..], (ulong)length << 3);
        if (!BitConverter.IsLittleEndian)
        {
            uint a = InitA, b = InitB, c = InitC, d = InitD;
            CompressBigEndian(ref a, ref b, ref c, ref d, block[..BlockSize]);
            return unchecked((int)a);
        }

        return FirstWordOfBlock(MemoryMarshal.Cast<byte, uint>(block[..BlockSize]));
    }

    /// <summary>
    /// Digest bytes 0..3, as a little-endian <see cref="int"/>, of the message whose only, already padded, block is the
    /// sixteen message words <paramref name="paddedBlock"/> (see <see cref="Md5Block"/>).
    /// </summary>
    /// <remarks>
    /// Those four bytes are the first state word, which MD5's 61st step writes last: the last three steps only update
    /// the other three words, so they are skipped (about 5% of the compression).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FirstWordOfBlock(ReadOnlySpan<uint> paddedBlock)
    {
        uint a = InitA, b = InitB, c = InitC, d = InitD;
        Compress<FirstWordOnly>(ref a, ref b, ref c, ref d, paddedBlock);
        return unchecked((int)a);
    }

    /// <summary>Runs the whole MD5 computation (all blocks plus padding) and returns the final state words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void Hash(ReadOnlySpan<byte> source, out uint a, out uint b, out uint c, out uint d)
    {
        a = InitA;
        b = InitB;
        c = InitC;
        d = InitD;

        // Whole blocks straight from the input.
        int wholeBlocks = source.Length & ~(BlockSize - 1);
        for (int offset = 0; offset < wholeBlocks; offset += BlockSize)
        {
            Compress(ref a, ref b, ref c, ref d, source.Slice(offset, BlockSize));
        }

        // Tail + 0x80 + zeros + 64-bit bit length: one final block if the tail is at most 55 bytes, else two.
        ReadOnlySpan<byte> tail = source[wholeBlocks..];
        Span<byte> last = stackalloc byte[2 * BlockSize];
        tail.CopyTo(last);
        last[tail.Length] = 0x80;
        int lastLength = tail.Length < BlockSize - sizeof(ulong) ? BlockSize : 2 * BlockSize;

        // The buffer is not zero-initialised ([SkipLocalsInit]): clear only the padding that is hashed.
        last[(tail.Length + 1)..(lastLength - sizeof(ulong))].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(last[(lastLength - sizeof(ulong))..], (ulong)source.Length << 3);

        Compress(ref a, ref b, ref c, ref d, last[..BlockSize]);
        if (lastLength > BlockSize)
        {
            Compress(ref a, ref b, ref c, ref d, last[BlockSize..]);
        }
    }

    /// <summary>Feeds one 64-byte block into the chaining state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compress(ref uint state0, ref uint state1, ref uint state2, ref uint state3, ReadOnlySpan<byte> block)
    {
        if (BitConverter.IsLittleEndian)
        {
            // Message words are little-endian, so on little-endian hardware the block can be read in place.
            Compress<AllWords>(ref state0, ref state1, ref state2, ref state3, MemoryMarshal.Cast<byte, uint>(block));
        }
        else
        {
            CompressBigEndian(ref state0, ref state1, ref state2, ref state3, block);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CompressBigEndian(ref uint state0, ref uint state1, ref uint state2, ref uint state3, ReadOnlySpan<byte> block)
    {
        Span<uint> words = stackalloc uint[16];
        BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(block), words);
        Compress<AllWords>(ref state0, ref state1, ref state2, ref state3, words);
    }

    /// <summary>Which state words a compression must produce; a type argument, so each choice is compiled on its own.</summary>
    private interface IOutputWords
    {
        static abstract bool All { get; }
    }

    private readonly struct AllWords : IOutputWords
    {
        public static bool All => true;
    }

    private readonly struct FirstWordOnly : IOutputWords
    {
        public static bool All => false;
    }

    /// <summary>
    /// The 64 MD5 steps over the sixteen message words <paramref name="w"/>, fully unrolled; with
    /// <see cref="FirstWordOnly"/> only <paramref name="state0"/> is updated and the last three steps are left out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compress<TOutput>(ref uint state0, ref uint state1, ref uint state2, ref uint state3, ReadOnlySpan<uint> w)
        where TOutput : struct, IOutputWords
    {
        // Touching the last word first lets the JIT drop the bounds checks of w[0]..w[14].
        _ = w[15];

        uint a = state0;
        uint b = state1;
        uint c = state2;
        uint d = state3;

        // Round 1: F
        a = F(a, b, c, d, w[0] + 0xD76AA478u, 7);
        d = F(d, a, b, c, w[1] + 0xE8C7B756u, 12);
        c = F(c, d, a, b, w[2] + 0x242070DBu, 17);
        b = F(b, c, d, a, w[3] + 0xC1BDCEEEu, 22);
        a = F(a, b, c, d, w[4] + 0xF57C0FAFu, 7);
        d = F(d, a, b, c, w[5] + 0x4787C62Au, 12);
        c = F(c, d, a, b, w[6] + 0xA8304613u, 17);
        b = F(b, c, d, a, w[7] + 0xFD469501u, 22);
        a = F(a, b, c, d, w[8] + 0x698098D8u, 7);
        d = F(d, a, b, c, w[9] + 0x8B44F7AFu, 12);
        c = F(c, d, a, b, w[10] + 0xFFFF5BB1u, 17);
        b = F(b, c, d, a, w[11] + 0x895CD7BEu, 22);
        a = F(a, b, c, d, w[12] + 0x6B901122u, 7);
        d = F(d, a, b, c, w[13] + 0xFD987193u, 12);
        c = F(c, d, a, b, w[14] + 0xA679438Eu, 17);
        b = F(b, c, d, a, w[15] + 0x49B40821u, 22);

        // Round 2: G
        a = G(a, b, c, d, w[1] + 0xF61E2562u, 5);
        d = G(d, a, b, c, w[6] + 0xC040B340u, 9);
        c = G(c, d, a, b, w[11] + 0x265E5A51u, 14);
        b = G(b, c, d, a, w[0] + 0xE9B6C7AAu, 20);
        a = G(a, b, c, d, w[5] + 0xD62F105Du, 5);
        d = G(d, a, b, c, w[10] + 0x02441453u, 9);
        c = G(c, d, a, b, w[15] + 0xD8A1E681u, 14);
        b = G(b, c, d, a, w[4] + 0xE7D3FBC8u, 20);
        a = G(a, b, c, d, w[9] + 0x21E1CDE6u, 5);
        d = G(d, a, b, c, w[14] + 0xC33707D6u, 9);
        c = G(c, d, a, b, w[3] + 0xF4D50D87u, 14);
        b = G(b, c, d, a, w[8] + 0x455A14EDu, 20);
        a = G(a, b, c, d, w[13] + 0xA9E3E905u, 5);
        d = G(d, a, b, c, w[2] + 0xFCEFA3F8u, 9);
        c = G(c, d, a, b, w[7] + 0x676F02D9u, 14);
        b = G(b, c, d, a, w[12] + 0x8D2A4C8Au, 20);

        // Round 3: H
        a = H(a, b, c, d, w[5] + 0xFFFA3942u, 4);
        d = H(d, a, b, c, w[8] + 0x8771F681u, 11);
        c = H(c, d, a, b, w[11] + 0x6D9D6122u, 16);
        b = H(b, c, d, a, w[14] + 0xFDE5380Cu, 23);
        a = H(a, b, c, d, w[1] + 0xA4BEEA44u, 4);
        d = H(d, a, b, c, w[4] + 0x4BDECFA9u, 11);
        c = H(c, d, a, b, w[7] + 0xF6BB4B60u, 16);
        b = H(b, c, d, a, w[10] + 0xBEBFBC70u, 23);
        a = H(a, b, c, d, w[13] + 0x289B7EC6u, 4);
        d = H(d, a, b, c, w[0] + 0xEAA127FAu, 11);
        c = H(c, d, a, b, w[3] + 0xD4EF3085u, 16);
        b = H(b, c, d, a, w[6] + 0x04881D05u, 23);
        a = H(a, b, c, d, w[9] + 0xD9D4D039u, 4);
        d = H(d, a, b, c, w[12] + 0xE6DB99E5u, 11);
        c = H(c, d, a, b, w[15] + 0x1FA27CF8u, 16);
        b = H(b, c, d, a, w[2] + 0xC4AC5665u, 23);

        // Round 4: I
        a = I(a, b, c, d, w[0] + 0xF4292244u, 6);
        d = I(d, a, b, c, w[7] + 0x432AFF97u, 10);
        c = I(c, d, a, b, w[14] + 0xAB9423A7u, 15);
        b = I(b, c, d, a, w[5] + 0xFC93A039u, 21);
        a = I(a, b, c, d, w[12] + 0x655B59C3u, 6);
        d = I(d, a, b, c, w[3] + 0x8F0CCC92u, 10);
        c = I(c, d, a, b, w[10] + 0xFFEFF47Du, 15);
        b = I(b, c, d, a, w[1] + 0x85845DD1u, 21);
        a = I(a, b, c, d, w[8] + 0x6FA87E4Fu, 6);
        d = I(d, a, b, c, w[15] + 0xFE2CE6E0u, 10);
        c = I(c, d, a, b, w[6] + 0xA3014314u, 15);
        b = I(b, c, d, a, w[13] + 0x4E0811A1u, 21);
        a = I(a, b, c, d, w[4] + 0xF7537E82u, 6);
        state0 += a;
        if (!TOutput.All)
        {
            return;
        }

        d = I(d, a, b, c, w[11] + 0xBD3AF235u, 10);
        c = I(c, d, a, b, w[2] + 0x2AD7D2BBu, 15);
        b = I(b, c, d, a, w[9] + 0xEB86D391u, 21);
        state1 += b;
        state2 += c;
        state3 += d;
    }

    // One step: a = b + ((a + word + constant + f(b, c, d)) <<< s), with xt = word + constant.
    // MD5 is latency-bound, so each step is arranged to put as little as possible after b (the value the
    // previous step just produced): a + xt and any term of c and d alone are computed while b is in flight.

    // F = (b & c) | (~b & d), as a select by mask: two operations after b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint F(uint a, uint b, uint c, uint d, uint xt, int s)
        => b + BitOperations.RotateLeft(a + xt + (d ^ (b & (c ^ d))), s);

    // G = (b & d) | (c & ~d); the two halves never overlap, so | is + and only (b & d) waits for b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint G(uint a, uint b, uint c, uint d, uint xt, int s)
        => b + BitOperations.RotateLeft(a + xt + (c & ~d) + (b & d), s);

    // H = b ^ c ^ d, with c ^ d first so one xor waits for b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint H(uint a, uint b, uint c, uint d, uint xt, int s)
        => b + BitOperations.RotateLeft(a + xt + (b ^ (c ^ d)), s);

    // I = c ^ (b | ~d).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint I(uint a, uint b, uint c, uint d, uint xt, int s)
        => b + BitOperations.RotateLeft(a + xt + (c ^ (b | ~d)), s);
}
