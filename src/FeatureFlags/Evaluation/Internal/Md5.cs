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
        => unchecked((int)(InitA + Compress<FirstWordOnly>(new Md5State(InitA, InitB, InitC, InitD), firstStep: 0, paddedBlock).A));

    /// <summary>
    /// Like <see cref="FirstWordOfBlock"/> when the first <paramref name="firstStep"/> steps (at most
    /// <see cref="MaxSkippedSteps"/>, all of round 1) are already done: <paramref name="state"/> is the working state they
    /// left (<see cref="FirstSteps"/>), and the block's first <paramref name="firstStep"/> words are the ones they read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FirstWordOfBlockFrom(int firstStep, in Md5State state, ReadOnlySpan<uint> paddedBlock)
        => unchecked((int)(InitA + Compress<FirstWordOnly>(state, firstStep, paddedBlock).A));

    /// <summary>The most steps <see cref="FirstWordOfBlockFrom"/> can skip: a one-block message fills at most 13 whole words.</summary>
    public const int MaxSkippedSteps = MaxSingleBlockLength / sizeof(uint);

    /// <summary>
    /// The working state after MD5's first <paramref name="count"/> steps (at most <see cref="MaxSkippedSteps"/>) over
    /// the words <paramref name="w"/>, from the initial chaining values; the start state of <see cref="FirstWordOfBlockFrom"/>.
    /// </summary>
    public static Md5State FirstSteps(ReadOnlySpan<uint> w, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)MaxSkippedSteps, nameof(count));
        uint a = InitA, b = InitB, c = InitC, d = InitD;
        for (int i = 0; i < count; i++)
        {
            // The unrolled round 1 below, one step at a time: the step writes a, d, c, b in turn.
            uint xt = w[i] + StepConstants[i];
            switch (i & 3)
            {
                case 0: a = F(a, b, c, d, xt, 7); break;
                case 1: d = F(d, a, b, c, xt, 12); break;
                case 2: c = F(c, d, a, b, xt, 17); break;
                default: b = F(b, c, d, a, xt, 22); break;
            }
        }

        return new Md5State(a, b, c, d);
    }

    // The 64 steps' additive constants (RFC 1321, T[1..64]), in step order; read by Compress and FirstSteps.
    private static readonly uint[] StepConstants =
    [
        0xD76AA478u, 0xE8C7B756u, 0x242070DBu, 0xC1BDCEEEu, 0xF57C0FAFu, 0x4787C62Au, 0xA8304613u, 0xFD469501u,
        0x698098D8u, 0x8B44F7AFu, 0xFFFF5BB1u, 0x895CD7BEu, 0x6B901122u, 0xFD987193u, 0xA679438Eu, 0x49B40821u,
        0xF61E2562u, 0xC040B340u, 0x265E5A51u, 0xE9B6C7AAu, 0xD62F105Du, 0x02441453u, 0xD8A1E681u, 0xE7D3FBC8u,
        0x21E1CDE6u, 0xC33707D6u, 0xF4D50D87u, 0x455A14EDu, 0xA9E3E905u, 0xFCEFA3F8u, 0x676F02D9u, 0x8D2A4C8Au,
        0xFFFA3942u, 0x8771F681u, 0x6D9D6122u, 0xFDE5380Cu, 0xA4BEEA44u, 0x4BDECFA9u, 0xF6BB4B60u, 0xBEBFBC70u,
        0x289B7EC6u, 0xEAA127FAu, 0xD4EF3085u, 0x04881D05u, 0xD9D4D039u, 0xE6DB99E5u, 0x1FA27CF8u, 0xC4AC5665u,
        0xF4292244u, 0x432AFF97u, 0xAB9423A7u, 0xFC93A039u, 0x655B59C3u, 0x8F0CCC92u, 0xFFEFF47Du, 0x85845DD1u,
        0x6FA87E4Fu, 0xFE2CE6E0u, 0xA3014314u, 0x4E0811A1u, 0xF7537E82u, 0xBD3AF235u, 0x2AD7D2BBu, 0xEB86D391u,
    ];

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
            AddTo(ref state0, ref state1, ref state2, ref state3, Compress<AllWords>(new Md5State(state0, state1, state2, state3), firstStep: 0, MemoryMarshal.Cast<byte, uint>(block)));
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
        AddTo(ref state0, ref state1, ref state2, ref state3, Compress<AllWords>(new Md5State(state0, state1, state2, state3), firstStep: 0, words));
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
    /// The 64 MD5 steps over the sixteen message words <paramref name="w"/>, fully unrolled, from step
    /// <paramref name="firstStep"/> (0 or up to <see cref="MaxSkippedSteps"/>) with the working state
    /// <paramref name="start"/> the earlier steps left (the chaining values when <paramref name="firstStep"/> is 0);
    /// returns the working words, which the caller adds to the chaining values. With <see cref="FirstWordOnly"/> only
    /// the first word is computed (the last three steps are left out) and the others are returned as 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Md5State Compress<TOutput>(in Md5State start, int firstStep, ReadOnlySpan<uint> w)
        where TOutput : struct, IOutputWords
    {
        uint a = start.A, b = start.B, c = start.C, d = start.D;

        // Touching the last word first lets the JIT drop the bounds checks of w[0]..w[14].
        _ = w[15];

        // The additive constants come from memory, not as literals: the JIT would fold a literal into the add that waits
        // for f(b, c, d) (a three-part LEA, one cycle slower on some cores); from memory it is added to a + word early.
        ref uint k = ref MemoryMarshal.GetArrayDataReference(StepConstants);

        // Round 1: F, entered at the first step not done (a jump into the unrolled steps).
        switch (firstStep)
        {
            case 0: a = F(a, b, c, d, w[0] + Unsafe.Add(ref k, 0), 7); goto case 1;
            case 1: d = F(d, a, b, c, w[1] + Unsafe.Add(ref k, 1), 12); goto case 2;
            case 2: c = F(c, d, a, b, w[2] + Unsafe.Add(ref k, 2), 17); goto case 3;
            case 3: b = F(b, c, d, a, w[3] + Unsafe.Add(ref k, 3), 22); goto case 4;
            case 4: a = F(a, b, c, d, w[4] + Unsafe.Add(ref k, 4), 7); goto case 5;
            case 5: d = F(d, a, b, c, w[5] + Unsafe.Add(ref k, 5), 12); goto case 6;
            case 6: c = F(c, d, a, b, w[6] + Unsafe.Add(ref k, 6), 17); goto case 7;
            case 7: b = F(b, c, d, a, w[7] + Unsafe.Add(ref k, 7), 22); goto case 8;
            case 8: a = F(a, b, c, d, w[8] + Unsafe.Add(ref k, 8), 7); goto case 9;
            case 9: d = F(d, a, b, c, w[9] + Unsafe.Add(ref k, 9), 12); goto case 10;
            case 10: c = F(c, d, a, b, w[10] + Unsafe.Add(ref k, 10), 17); goto case 11;
            case 11: b = F(b, c, d, a, w[11] + Unsafe.Add(ref k, 11), 22); goto case 12;
            case 12: a = F(a, b, c, d, w[12] + Unsafe.Add(ref k, 12), 7); goto case 13;
            case 13: d = F(d, a, b, c, w[13] + Unsafe.Add(ref k, 13), 12); break;
            default: throw new ArgumentOutOfRangeException(nameof(firstStep));
        }

        c = F(c, d, a, b, w[14] + Unsafe.Add(ref k, 14), 17);
        b = F(b, c, d, a, w[15] + Unsafe.Add(ref k, 15), 22);

        // Round 2: G
        a = G(a, b, c, d, w[1] + Unsafe.Add(ref k, 16), 5);
        d = G(d, a, b, c, w[6] + Unsafe.Add(ref k, 17), 9);
        c = G(c, d, a, b, w[11] + Unsafe.Add(ref k, 18), 14);
        b = G(b, c, d, a, w[0] + Unsafe.Add(ref k, 19), 20);
        a = G(a, b, c, d, w[5] + Unsafe.Add(ref k, 20), 5);
        d = G(d, a, b, c, w[10] + Unsafe.Add(ref k, 21), 9);
        c = G(c, d, a, b, w[15] + Unsafe.Add(ref k, 22), 14);
        b = G(b, c, d, a, w[4] + Unsafe.Add(ref k, 23), 20);
        a = G(a, b, c, d, w[9] + Unsafe.Add(ref k, 24), 5);
        d = G(d, a, b, c, w[14] + Unsafe.Add(ref k, 25), 9);
        c = G(c, d, a, b, w[3] + Unsafe.Add(ref k, 26), 14);
        b = G(b, c, d, a, w[8] + Unsafe.Add(ref k, 27), 20);
        a = G(a, b, c, d, w[13] + Unsafe.Add(ref k, 28), 5);
        d = G(d, a, b, c, w[2] + Unsafe.Add(ref k, 29), 9);
        c = G(c, d, a, b, w[7] + Unsafe.Add(ref k, 30), 14);
        b = G(b, c, d, a, w[12] + Unsafe.Add(ref k, 31), 20);

        // Round 3: H
        a = H(a, b, c, d, w[5] + Unsafe.Add(ref k, 32), 4);
        d = H(d, a, b, c, w[8] + Unsafe.Add(ref k, 33), 11);
        c = H(c, d, a, b, w[11] + Unsafe.Add(ref k, 34), 16);
        b = H(b, c, d, a, w[14] + Unsafe.Add(ref k, 35), 23);
        a = H(a, b, c, d, w[1] + Unsafe.Add(ref k, 36), 4);
        d = H(d, a, b, c, w[4] + Unsafe.Add(ref k, 37), 11);
        c = H(c, d, a, b, w[7] + Unsafe.Add(ref k, 38), 16);
        b = H(b, c, d, a, w[10] + Unsafe.Add(ref k, 39), 23);
        a = H(a, b, c, d, w[13] + Unsafe.Add(ref k, 40), 4);
        d = H(d, a, b, c, w[0] + Unsafe.Add(ref k, 41), 11);
        c = H(c, d, a, b, w[3] + Unsafe.Add(ref k, 42), 16);
        b = H(b, c, d, a, w[6] + Unsafe.Add(ref k, 43), 23);
        a = H(a, b, c, d, w[9] + Unsafe.Add(ref k, 44), 4);
        d = H(d, a, b, c, w[12] + Unsafe.Add(ref k, 45), 11);
        c = H(c, d, a, b, w[15] + Unsafe.Add(ref k, 46), 16);
        b = H(b, c, d, a, w[2] + Unsafe.Add(ref k, 47), 23);

        // Round 4: I
        a = I(a, b, c, d, w[0] + Unsafe.Add(ref k, 48), 6);
        d = I(d, a, b, c, w[7] + Unsafe.Add(ref k, 49), 10);
        c = I(c, d, a, b, w[14] + Unsafe.Add(ref k, 50), 15);
        b = I(b, c, d, a, w[5] + Unsafe.Add(ref k, 51), 21);
        a = I(a, b, c, d, w[12] + Unsafe.Add(ref k, 52), 6);
        d = I(d, a, b, c, w[3] + Unsafe.Add(ref k, 53), 10);
        c = I(c, d, a, b, w[10] + Unsafe.Add(ref k, 54), 15);
        b = I(b, c, d, a, w[1] + Unsafe.Add(ref k, 55), 21);
        a = I(a, b, c, d, w[8] + Unsafe.Add(ref k, 56), 6);
        d = I(d, a, b, c, w[15] + Unsafe.Add(ref k, 57), 10);
        c = I(c, d, a, b, w[6] + Unsafe.Add(ref k, 58), 15);
        b = I(b, c, d, a, w[13] + Unsafe.Add(ref k, 59), 21);
        a = I(a, b, c, d, w[4] + Unsafe.Add(ref k, 60), 6);
        if (!TOutput.All)
        {
            return new Md5State(a, 0, 0, 0);
        }

        d = I(d, a, b, c, w[11] + Unsafe.Add(ref k, 61), 10);
        c = I(c, d, a, b, w[2] + Unsafe.Add(ref k, 62), 15);
        b = I(b, c, d, a, w[9] + Unsafe.Add(ref k, 63), 21);
        return new Md5State(a, b, c, d);
    }

    /// <summary>Adds a compression's working words to the chaining values (the end of every block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref uint state0, ref uint state1, ref uint state2, ref uint state3, in Md5State words)
    {
        state0 += words.A;
        state1 += words.B;
        state2 += words.C;
        state3 += words.D;
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

    // H = b ^ c ^ d, with c ^ d first so one xor waits for b (written (c ^ d) ^ b: the JIT turns x ^ (y ^ z) into
    // (x ^ y) ^ z, which would put both xors after b).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint H(uint a, uint b, uint c, uint d, uint xt, int s)
        => b + BitOperations.RotateLeft(a + xt + ((c ^ d) ^ b), s);

    // I = c ^ (b | ~d).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint I(uint a, uint b, uint c, uint d, uint xt, int s)
        => b + BitOperations.RotateLeft(a + xt + (c ^ (b | ~d)), s);
}

/// <summary>MD5's four working words part way through a compression (see <see cref="Md5.FirstSteps"/>).</summary>
internal readonly record struct Md5State(uint A, uint B, uint C, uint D);
