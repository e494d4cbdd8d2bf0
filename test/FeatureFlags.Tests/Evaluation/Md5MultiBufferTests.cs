using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using FeatureFlags.Evaluation.Internal;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

public sealed class Md5MultiBufferTests
{
    // By name: the kernel enum is internal, and a theory's parameters must be public types.
    public static TheoryData<string> Kernels => [.. Enum.GetNames<Md5Kernel>()];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void HashFirstWords_EveryLaneAndLaneCount_MatchesPlatformMd5(string kernelName)
    {
        var kernel = Enum.Parse<Md5Kernel>(kernelName);
        Assert.SkipUnless(Md5MultiBuffer.IsSupported(kernel), $"{kernel} does not run on this hardware.");
        var random = new Random(2026);
        var mismatches = new List<string>();
        Span<int> firstWords = stackalloc int[Md5Lanes.Count];

        for (int trial = 0; trial < 400; trial++)
        {
            // Every lane count, and lengths varying per lane over every one-block length (0..55).
            int count = trial % Md5Lanes.Count + 1;
            var messages = new byte[count][];
            var lanes = default(Md5Lanes);
            for (int lane = 0; lane < count; lane++)
            {
                messages[lane] = new byte[random.Next(0, Md5.MaxSingleBlockLength + 1)];
                random.NextBytes(messages[lane]);
                lanes.SetLane(lane, PaddedBlock(messages[lane]));
            }

            Md5MultiBuffer.HashFirstWords(ref lanes, count, firstWords, kernel);

            for (int lane = 0; lane < count; lane++)
            {
                if (firstWords[lane] != PlatformFirstWord(messages[lane]))
                {
                    mismatches.Add($"trial {trial}, lane {lane} of {count}, length {messages[lane].Length}");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void HashFirstWords_EveryOneBlockLengthInEveryLane_MatchesPlatformMd5(string kernelName)
    {
        var kernel = Enum.Parse<Md5Kernel>(kernelName);
        Assert.SkipUnless(Md5MultiBuffer.IsSupported(kernel), $"{kernel} does not run on this hardware.");
        var random = new Random(7);
        Span<int> firstWords = stackalloc int[Md5Lanes.Count];
        for (int length = 0; length <= Md5.MaxSingleBlockLength; length++)
        {
            var lanes = default(Md5Lanes);
            var messages = new byte[Md5Lanes.Count][];
            for (int lane = 0; lane < Md5Lanes.Count; lane++)
            {
                // Lane l holds a message of length (length + l) mod 56: every lane sees every length.
                messages[lane] = new byte[(length + lane) % (Md5.MaxSingleBlockLength + 1)];
                random.NextBytes(messages[lane]);
                lanes.SetLane(lane, PaddedBlock(messages[lane]));
            }

            Md5MultiBuffer.HashFirstWords(ref lanes, Md5Lanes.Count, firstWords, kernel);

            for (int lane = 0; lane < Md5Lanes.Count; lane++)
            {
                Assert.Equal(PlatformFirstWord(messages[lane]), firstWords[lane]);
            }
        }
    }

    [Fact]
    public void HashFirstWords_BadArguments_Throw()
    {
        var lanes = default(Md5Lanes);
        var results = new int[Md5Lanes.Count];

        Assert.Throws<ArgumentOutOfRangeException>(() => Md5MultiBuffer.HashFirstWords(ref lanes, Md5Lanes.Count + 1, results, Md5Kernel.Scalar));
        Assert.Throws<ArgumentOutOfRangeException>(() => Md5MultiBuffer.HashFirstWords(ref lanes, 1, new int[Md5Lanes.Count - 1], Md5Kernel.Scalar));
        Assert.Throws<ArgumentOutOfRangeException>(() => Md5MultiBuffer.HashFirstWords(ref lanes, 1, results, (Md5Kernel)99));
        Assert.Throws<ArgumentOutOfRangeException>(() => lanes.SetLane(Md5Lanes.Count, default));
    }

    [Fact]
    public void BestKernel_IsSupported()
        => Assert.True(Md5MultiBuffer.IsSupported(Md5MultiBuffer.BestKernel));

    [Fact]
    public void TryWriteAsciiKey_EveryOneBlockLengthAndCut_MatchesPlatformMd5OfUtf8()
    {
        var random = new Random(99);
        for (int length = 0; length <= Md5.MaxSingleBlockLength; length++)
        {
            var chars = new char[length];
            for (int i = 0; i < length; i++)
            {
                chars[i] = (char)random.Next(0, 0x80);
            }

            var key = new string(chars);
            int expected = PlatformFirstWord(Encoding.UTF8.GetBytes(key));
            for (int cut = 0; cut <= length; cut++)
            {
                Assert.True(Md5Block.TryWriteAsciiKey(key.AsSpan(0, cut), key.AsSpan(cut), out var block));
                Assert.Equal(expected, block.HashFirstInt32());
                Assert.Equal(expected, Md5.FirstWordOfBlock(block));
            }
        }
    }

    [Theory]
    [InlineData('\u0080')]
    [InlineData('\u00E9')]
    [InlineData('\uFFFF')]
    [InlineData('\uD83D')]
    [InlineData('\uDE00')]
    public void TryWriteAsciiKey_NonAsciiCharAnywhere_IsRefused(char nonAscii)
    {
        for (int length = 1; length <= Md5.MaxSingleBlockLength; length++)
        {
            for (int position = 0; position < length; position++)
            {
                var chars = Enumerable.Repeat('k', length).ToArray();
                chars[position] = nonAscii;
                var key = new string(chars);
                int cut = length / 3;

                Assert.False(Md5Block.TryWriteAsciiKey(key.AsSpan(0, cut), key.AsSpan(cut), out _), $"length {length}, position {position}");
            }
        }
    }

    [Fact]
    public void TryWriteAsciiKey_KeyLongerThanOneBlock_IsRefused()
    {
        Assert.True(Md5Block.TryWriteAsciiKey(new string('a', 30), new string('b', 25), out _));
        Assert.False(Md5Block.TryWriteAsciiKey(new string('a', 30), new string('b', 26), out _));
        Assert.False(Md5Block.TryWriteAsciiKey(new string('a', 300), "", out _));
    }

    /// <summary>The padded block of a one-block message, built the textbook way (independently of <see cref="Md5Block"/>).</summary>
    private static Md5Block PaddedBlock(byte[] message)
    {
        var bytes = new byte[64];
        message.CopyTo(bytes, 0);
        bytes[message.Length] = 0x80;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(56), (ulong)message.Length * 8);
        var block = default(Md5Block);
        for (int i = 0; i < Md5Block.WordCount; i++)
        {
            block[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        }

        return block;
    }

    // The platform implementation is the oracle; MD5 here is a bucketing function, not a security primitive.
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Reference for FeatBit bucketing, not security.")]
    private static int PlatformFirstWord(byte[] message) => BinaryPrimitives.ReadInt32LittleEndian(MD5.HashData(message));
}
