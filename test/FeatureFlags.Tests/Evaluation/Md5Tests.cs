using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using FeatureFlags.Evaluation.Internal;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

public sealed class Md5Tests
{
    // Every length up to here covers 0-4 whole blocks and all padding edges (55/56, 63/64, 119/120, ...).
    private const int MaxExhaustiveLength = 300;

    [Fact]
    public void HashFirstInt32InPlace_EveryOneBlockLength_OnADirtyBuffer_MatchesPlatformMd5()
    {
        var random = new Random(4321);
        for (int length = 0; length <= Md5.MaxSingleBlockLength; length++)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                byte[] input = new byte[length];
                random.NextBytes(input);
                byte[] block = new byte[64];
                random.NextBytes(block); // whatever the padding area held must not matter
                input.CopyTo(block, 0);

                int actual = Md5.HashFirstInt32InPlace(block, length);

                Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(PlatformMd5(input)), actual);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => Md5.HashFirstInt32InPlace(new byte[64], Md5.MaxSingleBlockLength + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Md5.HashFirstInt32InPlace(new byte[63], 0));
    }

    [Fact]
    public void HashData_EveryLengthUpTo300_MatchesPlatformMd5()
    {
        var random = new Random(1234);
        var mismatches = new List<int>();
        Span<byte> actual = stackalloc byte[Md5.HashSizeInBytes];

        for (int length = 0; length <= MaxExhaustiveLength; length++)
        {
            byte[] input = new byte[length];
            random.NextBytes(input);

            Md5.HashData(input, actual);

            if (!actual.SequenceEqual(PlatformMd5(input)))
            {
                mismatches.Add(length);
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void HashFirstInt32_EveryLengthUpTo300_MatchesFirstWordOfPlatformMd5()
    {
        var random = new Random(1234);
        var mismatches = new List<int>();

        for (int length = 0; length <= MaxExhaustiveLength; length++)
        {
            byte[] input = new byte[length];
            random.NextBytes(input);

            if (Md5.HashFirstInt32(input) != BinaryPrimitives.ReadInt32LittleEndian(PlatformMd5(input)))
            {
                mismatches.Add(length);
            }
        }

        Assert.Empty(mismatches);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(100_000)]
    public void HashData_LargeInput_MatchesPlatformMd5(int length)
    {
        byte[] input = new byte[length];
        new Random(1234).NextBytes(input);
        byte[] actual = new byte[Md5.HashSizeInBytes];

        Md5.HashData(input, actual);

        Assert.Equal(PlatformMd5(input), actual);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(100_000)]
    public void HashFirstInt32_LargeInput_MatchesFirstWordOfPlatformMd5(int length)
    {
        byte[] input = new byte[length];
        new Random(1234).NextBytes(input);

        Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(PlatformMd5(input)), Md5.HashFirstInt32(input));
    }

    // RFC 1321, appendix A.5 test suite.
    [Theory]
    [InlineData("", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("a", "0cc175b9c0f1b6a831c399e269772661")]
    [InlineData("abc", "900150983cd24fb0d6963f7d28e17f72")]
    [InlineData("message digest", "f96b697d7cb7938d525a2f31aaf161d0")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a")]
    public void HashData_Rfc1321TestSuite_ProducesPublishedDigest(string input, string expectedHex)
    {
        byte[] actual = new byte[Md5.HashSizeInBytes];

        Md5.HashData(Encoding.ASCII.GetBytes(input), actual);

        Assert.Equal(expectedHex, Convert.ToHexStringLower(actual));
    }

    [Fact]
    public void HashData_DestinationLongerThanDigest_WritesOnlyFirst16Bytes()
    {
        byte[] destination = new byte[20];
        destination.AsSpan().Fill(0xAA);

        Md5.HashData("abc"u8, destination);

        Assert.Equal("900150983cd24fb0d6963f7d28e17f72", Convert.ToHexStringLower(destination.AsSpan(0, 16)));
        Assert.Equal(new byte[] { 0xAA, 0xAA, 0xAA, 0xAA }, destination.AsSpan(16).ToArray());
    }

    [Fact]
    public void HashData_DestinationShorterThan16Bytes_ThrowsArgumentException()
    {
        byte[] destination = new byte[15];

        Assert.Throws<ArgumentException>("destination", () => Md5.HashData("abc"u8, destination));
    }

    // The platform implementation is the oracle; MD5 here is a bucketing function, not a security primitive.
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Reference for FeatBit bucketing, not security.")]
    private static byte[] PlatformMd5(byte[] input) => MD5.HashData(input);
}
