using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>Which implementation hashes the lanes of an <see cref="Md5Lanes"/> batch.</summary>
internal enum Md5Kernel
{
    /// <summary>One lane at a time with scalar instructions: any hardware.</summary>
    Scalar,

    /// <summary>Four lanes per pass with the cross-platform <see cref="Vector128{T}"/> operators (SSE2, Arm64 AdvSimd).</summary>
    Vector128,

    /// <summary>Eight lanes per pass with the cross-platform <see cref="Vector256{T}"/> operators (AVX2).</summary>
    Vector256,

    /// <summary>Eight lanes per pass with AVX-512VL's three-input logic and rotate instructions.</summary>
    Vector256Avx512,

    /// <summary>All sixteen lanes in one pass with AVX-512.</summary>
    Vector512,
}

/// <summary>
/// Multi-buffer MD5: up to sixteen one-block messages hashed at once, each in one 32-bit lane of a SIMD register.
/// </summary>
/// <remarks>
/// <para>
/// One MD5 is a chain of 64 dependent steps, so a core mostly waits on latency while hashing one message. Running
/// the same step on 8 or 16 independent messages, one per vector lane, costs the same few instructions per step
/// as one message does: the step count stays at 64 and the work per message falls by the lane count. The blocks
/// are stored word-transposed (<see cref="Md5Lanes"/>: word <c>i</c> of every lane side by side), so each message
/// word of all lanes is one vector load.
/// </para>
/// <para>
/// Only the digest's first word is computed (what bucketing reads), which leaves out MD5's last three steps. With
/// AVX-512 each round function is one three-input logic instruction (<c>vpternlogd</c>) and each rotation one
/// <c>vprold</c>; without it the same formulas run on the portable vector operators, and without SIMD one lane at
/// a time (<see cref="Vector128{T}"/>: four lanes, e.g. on Arm64). All kernels share one step sequence (<see cref="FirstWords{TVector, TOps}"/>) and give identical results.
/// </para>
/// </remarks>
internal static partial class Md5MultiBuffer
{
    /// <summary>The fastest kernel this hardware runs.</summary>
    public static Md5Kernel BestKernel { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Md5Kernel.Vector512
        : Vector256.IsHardwareAccelerated && Avx512F.VL.IsSupported ? Md5Kernel.Vector256Avx512
        : Vector256.IsHardwareAccelerated ? Md5Kernel.Vector256
        : Vector128.IsHardwareAccelerated ? Md5Kernel.Vector128
        : Md5Kernel.Scalar;

    /// <summary>Whether this hardware runs <paramref name="kernel"/>.</summary>
    public static bool IsSupported(Md5Kernel kernel) => kernel switch
    {
        Md5Kernel.Scalar => true,
        Md5Kernel.Vector128 => Vector128.IsHardwareAccelerated,
        Md5Kernel.Vector256 => Vector256.IsHardwareAccelerated,
        Md5Kernel.Vector256Avx512 => Vector256.IsHardwareAccelerated && Avx512F.VL.IsSupported,
        Md5Kernel.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>
    /// Writes to <paramref name="firstWords"/>[lane] the digest's first four bytes (as a little-endian <see cref="int"/>)
    /// of lanes 0 to <paramref name="count"/> - 1 of <paramref name="lanes"/>; lanes past <paramref name="count"/> may be
    /// hashed too (their results are garbage).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A bad <paramref name="count"/>, a short <paramref name="firstWords"/>, or an unsupported kernel.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HashFirstWords(ref Md5Lanes lanes, int count, Span<int> firstWords, Md5Kernel kernel)
    {
        if ((uint)count > Md5Lanes.Count || firstWords.Length < Md5Lanes.Count || !IsSupported(kernel))
        {
            throw new ArgumentOutOfRangeException(nameof(count), "At most 16 lanes, 16 results, on a supported kernel.");
        }

        ref uint words = ref lanes[0];
        switch (kernel)
        {
            case Md5Kernel.Vector512 when count > Vector256<uint>.Count || !Avx512F.VL.IsSupported:
                FirstWords<Vector512<uint>, Avx512x16>(ref words).AsInt32().CopyTo(firstWords);
                break;
            case Md5Kernel.Vector512 or Md5Kernel.Vector256Avx512:
                for (int lane = 0; lane < count; lane += Vector256<uint>.Count)
                {
                    FirstWords<Vector256<uint>, Avx512x8>(ref Unsafe.Add(ref words, lane)).AsInt32().CopyTo(firstWords[lane..]);
                }

                break;
            case Md5Kernel.Vector256:
                for (int lane = 0; lane < count; lane += Vector256<uint>.Count)
                {
                    FirstWords<Vector256<uint>, Portable256>(ref Unsafe.Add(ref words, lane)).AsInt32().CopyTo(firstWords[lane..]);
                }

                break;
            case Md5Kernel.Vector128:
                for (int lane = 0; lane < count; lane += Vector128<uint>.Count)
                {
                    FirstWords<Vector128<uint>, Portable128>(ref Unsafe.Add(ref words, lane)).AsInt32().CopyTo(firstWords[lane..]);
                }

                break;
            default:
                for (int lane = 0; lane < count; lane++)
                {
                    firstWords[lane] = unchecked((int)FirstWords<uint, Scalar>(ref Unsafe.Add(ref words, lane)));
                }

                break;
        }
    }

    /// <summary>One MD5 step for every lane at once, per round function: <c>b + ((a + f(b, c, d) + word + k) &lt;&lt;&lt; s)</c>.</summary>
    /// <typeparam name="TVector">The lanes: <see cref="uint"/>, or a <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> or <see cref="Vector512{T}"/> of <see cref="uint"/>.</typeparam>
    private interface ISteps<TVector>
    {
        static abstract TVector Init(uint value);

        static abstract TVector Add(TVector x, TVector y);

        static abstract TVector F(TVector a, TVector b, TVector c, TVector d, ref uint word, uint k, [ConstantExpected] byte s);

        static abstract TVector G(TVector a, TVector b, TVector c, TVector d, ref uint word, uint k, [ConstantExpected] byte s);

        static abstract TVector H(TVector a, TVector b, TVector c, TVector d, ref uint word, uint k, [ConstantExpected] byte s);

        static abstract TVector I(TVector a, TVector b, TVector c, TVector d, ref uint word, uint k, [ConstantExpected] byte s);
    }

    /// <summary>
    /// MD5's first 61 steps (the last three do not touch the first state word) over the transposed words at
    /// <paramref name="w"/>: message word <c>i</c> of this group of lanes is at <c>w + i * <see cref="Md5Lanes.Count"/></c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector FirstWords<TVector, TOps>(ref uint w)
        where TOps : struct, ISteps<TVector>
    {
        const int S = Md5Lanes.Count; // stride between two message words of one lane
        TVector a = TOps.Init(0x67452301u), b = TOps.Init(0xEFCDAB89u), c = TOps.Init(0x98BADCFEu), d = TOps.Init(0x10325476u);

        a = TOps.F(a, b, c, d, ref Unsafe.Add(ref w, 0 * S), 0xD76AA478u, 7);
        d = TOps.F(d, a, b, c, ref Unsafe.Add(ref w, 1 * S), 0xE8C7B756u, 12);
        c = TOps.F(c, d, a, b, ref Unsafe.Add(ref w, 2 * S), 0x242070DBu, 17);
        b = TOps.F(b, c, d, a, ref Unsafe.Add(ref w, 3 * S), 0xC1BDCEEEu, 22);
        a = TOps.F(a, b, c, d, ref Unsafe.Add(ref w, 4 * S), 0xF57C0FAFu, 7);
        d = TOps.F(d, a, b, c, ref Unsafe.Add(ref w, 5 * S), 0x4787C62Au, 12);
        c = TOps.F(c, d, a, b, ref Unsafe.Add(ref w, 6 * S), 0xA8304613u, 17);
        b = TOps.F(b, c, d, a, ref Unsafe.Add(ref w, 7 * S), 0xFD469501u, 22);
        a = TOps.F(a, b, c, d, ref Unsafe.Add(ref w, 8 * S), 0x698098D8u, 7);
        d = TOps.F(d, a, b, c, ref Unsafe.Add(ref w, 9 * S), 0x8B44F7AFu, 12);
        c = TOps.F(c, d, a, b, ref Unsafe.Add(ref w, 10 * S), 0xFFFF5BB1u, 17);
        b = TOps.F(b, c, d, a, ref Unsafe.Add(ref w, 11 * S), 0x895CD7BEu, 22);
        a = TOps.F(a, b, c, d, ref Unsafe.Add(ref w, 12 * S), 0x6B901122u, 7);
        d = TOps.F(d, a, b, c, ref Unsafe.Add(ref w, 13 * S), 0xFD987193u, 12);
        c = TOps.F(c, d, a, b, ref Unsafe.Add(ref w, 14 * S), 0xA679438Eu, 17);
        b = TOps.F(b, c, d, a, ref Unsafe.Add(ref w, 15 * S), 0x49B40821u, 22);

        a = TOps.G(a, b, c, d, ref Unsafe.Add(ref w, 1 * S), 0xF61E2562u, 5);
        d = TOps.G(d, a, b, c, ref Unsafe.Add(ref w, 6 * S), 0xC040B340u, 9);
        c = TOps.G(c, d, a, b, ref Unsafe.Add(ref w, 11 * S), 0x265E5A51u, 14);
        b = TOps.G(b, c, d, a, ref Unsafe.Add(ref w, 0 * S), 0xE9B6C7AAu, 20);
        a = TOps.G(a, b, c, d, ref Unsafe.Add(ref w, 5 * S), 0xD62F105Du, 5);
        d = TOps.G(d, a, b, c, ref Unsafe.Add(ref w, 10 * S), 0x02441453u, 9);
        c = TOps.G(c, d, a, b, ref Unsafe.Add(ref w, 15 * S), 0xD8A1E681u, 14);
        b = TOps.G(b, c, d, a, ref Unsafe.Add(ref w, 4 * S), 0xE7D3FBC8u, 20);
        a = TOps.G(a, b, c, d, ref Unsafe.Add(ref w, 9 * S), 0x21E1CDE6u, 5);
        d = TOps.G(d, a, b, c, ref Unsafe.Add(ref w, 14 * S), 0xC33707D6u, 9);
        c = TOps.G(c, d, a, b, ref Unsafe.Add(ref w, 3 * S), 0xF4D50D87u, 14);
        b = TOps.G(b, c, d, a, ref Unsafe.Add(ref w, 8 * S), 0x455A14EDu, 20);
        a = TOps.G(a, b, c, d, ref Unsafe.Add(ref w, 13 * S), 0xA9E3E905u, 5);
        d = TOps.G(d, a, b, c, ref Unsafe.Add(ref w, 2 * S), 0xFCEFA3F8u, 9);
        c = TOps.G(c, d, a, b, ref Unsafe.Add(ref w, 7 * S), 0x676F02D9u, 14);
        b = TOps.G(b, c, d, a, ref Unsafe.Add(ref w, 12 * S), 0x8D2A4C8Au, 20);

        a = TOps.H(a, b, c, d, ref Unsafe.Add(ref w, 5 * S), 0xFFFA3942u, 4);
        d = TOps.H(d, a, b, c, ref Unsafe.Add(ref w, 8 * S), 0x8771F681u, 11);
        c = TOps.H(c, d, a, b, ref Unsafe.Add(ref w, 11 * S), 0x6D9D6122u, 16);
        b = TOps.H(b, c, d, a, ref Unsafe.Add(ref w, 14 * S), 0xFDE5380Cu, 23);
        a = TOps.H(a, b, c, d, ref Unsafe.Add(ref w, 1 * S), 0xA4BEEA44u, 4);
        d = TOps.H(d, a, b, c, ref Unsafe.Add(ref w, 4 * S), 0x4BDECFA9u, 11);
        c = TOps.H(c, d, a, b, ref Unsafe.Add(ref w, 7 * S), 0xF6BB4B60u, 16);
        b = TOps.H(b, c, d, a, ref Unsafe.Add(ref w, 10 * S), 0xBEBFBC70u, 23);
        a = TOps.H(a, b, c, d, ref Unsafe.Add(ref w, 13 * S), 0x289B7EC6u, 4);
        d = TOps.H(d, a, b, c, ref Unsafe.Add(ref w, 0 * S), 0xEAA127FAu, 11);
        c = TOps.H(c, d, a, b, ref Unsafe.Add(ref w, 3 * S), 0xD4EF3085u, 16);
        b = TOps.H(b, c, d, a, ref Unsafe.Add(ref w, 6 * S), 0x04881D05u, 23);
        a = TOps.H(a, b, c, d, ref Unsafe.Add(ref w, 9 * S), 0xD9D4D039u, 4);
        d = TOps.H(d, a, b, c, ref Unsafe.Add(ref w, 12 * S), 0xE6DB99E5u, 11);
        c = TOps.H(c, d, a, b, ref Unsafe.Add(ref w, 15 * S), 0x1FA27CF8u, 16);
        b = TOps.H(b, c, d, a, ref Unsafe.Add(ref w, 2 * S), 0xC4AC5665u, 23);

        a = TOps.I(a, b, c, d, ref Unsafe.Add(ref w, 0 * S), 0xF4292244u, 6);
        d = TOps.I(d, a, b, c, ref Unsafe.Add(ref w, 7 * S), 0x432AFF97u, 10);
        c = TOps.I(c, d, a, b, ref Unsafe.Add(ref w, 14 * S), 0xAB9423A7u, 15);
        b = TOps.I(b, c, d, a, ref Unsafe.Add(ref w, 5 * S), 0xFC93A039u, 21);
        a = TOps.I(a, b, c, d, ref Unsafe.Add(ref w, 12 * S), 0x655B59C3u, 6);
        d = TOps.I(d, a, b, c, ref Unsafe.Add(ref w, 3 * S), 0x8F0CCC92u, 10);
        c = TOps.I(c, d, a, b, ref Unsafe.Add(ref w, 10 * S), 0xFFEFF47Du, 15);
        b = TOps.I(b, c, d, a, ref Unsafe.Add(ref w, 1 * S), 0x85845DD1u, 21);
        a = TOps.I(a, b, c, d, ref Unsafe.Add(ref w, 8 * S), 0x6FA87E4Fu, 6);
        d = TOps.I(d, a, b, c, ref Unsafe.Add(ref w, 15 * S), 0xFE2CE6E0u, 10);
        c = TOps.I(c, d, a, b, ref Unsafe.Add(ref w, 6 * S), 0xA3014314u, 15);
        b = TOps.I(b, c, d, a, ref Unsafe.Add(ref w, 13 * S), 0x4E0811A1u, 21);
        a = TOps.I(a, b, c, d, ref Unsafe.Add(ref w, 4 * S), 0xF7537E82u, 6);

        // Steps 62-64 update only d, c and b: the first digest word is complete.
        return TOps.Add(a, TOps.Init(0x67452301u));
    }
}
