using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FeatureFlags.Evaluation.Internal;

// The MD5 step for each kernel. A step is b + ((a + f(b, c, d) + word + k) <<< s); the word and its constant are
// added to a first, off the critical path (a chain through b alone), as in the scalar Md5.
internal static partial class Md5MultiBuffer
{
    /// <summary>Sixteen lanes in a <see cref="Vector512{T}"/>; each round function is one <c>vpternlogd</c>.</summary>
    private readonly struct Avx512x16 : ISteps<Vector512<uint>>
    {
        // Truth tables over (b, c, d) = (0xF0, 0xCC, 0xAA): F = b ? c : d, G = d ? b : c, H = b ^ c ^ d, I = c ^ (b | ~d).
        private const byte FTable = 0xCA;
        private const byte GTable = 0xE4;
        private const byte HTable = 0x96;
        private const byte ITable = 0x39;

        public static Vector512<uint> Init(uint value) => Vector512.Create(value);

        public static Vector512<uint> Add(Vector512<uint> x, Vector512<uint> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> F(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.RotateLeft(a + (Vector512.LoadUnsafe(ref word) + Vector512.Create(k)) + Avx512F.TernaryLogic(b, c, d, FTable), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> G(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.RotateLeft(a + (Vector512.LoadUnsafe(ref word) + Vector512.Create(k)) + Avx512F.TernaryLogic(b, c, d, GTable), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> H(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.RotateLeft(a + (Vector512.LoadUnsafe(ref word) + Vector512.Create(k)) + Avx512F.TernaryLogic(b, c, d, HTable), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> I(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.RotateLeft(a + (Vector512.LoadUnsafe(ref word) + Vector512.Create(k)) + Avx512F.TernaryLogic(b, c, d, ITable), s);
    }

    /// <summary>Eight lanes in a <see cref="Vector256{T}"/> with AVX-512VL: the same instructions as <see cref="Avx512x16"/> on half the width.</summary>
    private readonly struct Avx512x8 : ISteps<Vector256<uint>>
    {
        private const byte FTable = 0xCA;
        private const byte GTable = 0xE4;
        private const byte HTable = 0x96;
        private const byte ITable = 0x39;

        public static Vector256<uint> Init(uint value) => Vector256.Create(value);

        public static Vector256<uint> Add(Vector256<uint> x, Vector256<uint> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> F(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.VL.RotateLeft(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + Avx512F.VL.TernaryLogic(b, c, d, FTable), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> G(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.VL.RotateLeft(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + Avx512F.VL.TernaryLogic(b, c, d, GTable), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> H(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.VL.RotateLeft(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + Avx512F.VL.TernaryLogic(b, c, d, HTable), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> I(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Avx512F.VL.RotateLeft(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + Avx512F.VL.TernaryLogic(b, c, d, ITable), s);
    }

    /// <summary>Eight lanes with the cross-platform <see cref="Vector256{T}"/> operators: the scalar formulas, rotation as two shifts.</summary>
    private readonly struct Portable256 : ISteps<Vector256<uint>>
    {
        public static Vector256<uint> Init(uint value) => Vector256.Create(value);

        public static Vector256<uint> Add(Vector256<uint> x, Vector256<uint> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> F(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + (d ^ (b & (c ^ d))), s);

        // (b & d) and (c & ~d) never share a bit, so | is +, and only (b & d) waits for b.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> G(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + Vector256.AndNot(c, d) + (b & d), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> H(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + (b ^ (c ^ d)), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> I(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector256.LoadUnsafe(ref word) + Vector256.Create(k)) + (c ^ (b | ~d)), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<uint> Rotate(Vector256<uint> x, [ConstantExpected] byte s)
            => Vector256.ShiftLeft(x, s) | Vector256.ShiftRightLogical(x, 32 - s);
    }

    /// <summary>Four lanes with the cross-platform <see cref="Vector128{T}"/> operators: <see cref="Portable256"/> on half the width.</summary>
    private readonly struct Portable128 : ISteps<Vector128<uint>>
    {
        public static Vector128<uint> Init(uint value) => Vector128.Create(value);

        public static Vector128<uint> Add(Vector128<uint> x, Vector128<uint> y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<uint> F(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector128.LoadUnsafe(ref word) + Vector128.Create(k)) + (d ^ (b & (c ^ d))), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<uint> G(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector128.LoadUnsafe(ref word) + Vector128.Create(k)) + Vector128.AndNot(c, d) + (b & d), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<uint> H(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector128.LoadUnsafe(ref word) + Vector128.Create(k)) + (b ^ (c ^ d)), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<uint> I(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + Rotate(a + (Vector128.LoadUnsafe(ref word) + Vector128.Create(k)) + (c ^ (b | ~d)), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<uint> Rotate(Vector128<uint> x, [ConstantExpected] byte s)
            => Vector128.ShiftLeft(x, s) | Vector128.ShiftRightLogical(x, 32 - s);
    }

    /// <summary>One lane in a general-purpose register: the fallback without SIMD.</summary>
    private readonly struct Scalar : ISteps<uint>
    {
        public static uint Init(uint value) => value;

        public static uint Add(uint x, uint y) => x + y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint F(uint a, uint b, uint c, uint d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + BitOperations.RotateLeft(a + (word + k) + (d ^ (b & (c ^ d))), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint G(uint a, uint b, uint c, uint d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + BitOperations.RotateLeft(a + (word + k) + (c & ~d) + (b & d), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint H(uint a, uint b, uint c, uint d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + BitOperations.RotateLeft(a + (word + k) + (b ^ (c ^ d)), s);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint I(uint a, uint b, uint c, uint d, ref uint word, uint k, [ConstantExpected] byte s)
            => b + BitOperations.RotateLeft(a + (word + k) + (c ^ (b | ~d)), s);
    }
}

/// <summary>
/// Sixteen padded MD5 blocks stored word-transposed for <see cref="Md5MultiBuffer"/>: message word <c>i</c> of lane
/// <c>l</c> is element <c>i * 16 + l</c>, so word <c>i</c> of all lanes is one 512-bit (or two 256-bit) load.
/// </summary>
[InlineArray(Md5Block.WordCount * Count)]
internal struct Md5Lanes
{
    /// <summary>Number of lanes (messages) held.</summary>
    public const int Count = 16;

    private uint _element0;

    /// <summary>Stores <paramref name="block"/> as lane <paramref name="lane"/> (sixteen scalar stores, one per word).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetLane(int lane, in Md5Block block)
    {
        for (int i = 0; i < Md5Block.WordCount / 2; i++)
        {
            SetWordPair(lane, i, (ulong)block[2 * i + 1] << 32 | block[2 * i]);
        }
    }

    /// <summary>Stores message words 2 <paramref name="pair"/> (the low half of <paramref name="words"/>) and 2 <paramref name="pair"/> + 1 of lane <paramref name="lane"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetWordPair(int lane, int pair, ulong words)
    {
        if ((uint)lane >= Count || (uint)pair >= Md5Block.WordCount / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(lane));
        }

        ref uint destination = ref Unsafe.Add(ref this[0], 2 * pair * Count + lane);
        destination = (uint)words;
        Unsafe.Add(ref destination, Count) = (uint)(words >> 32);
    }
}
