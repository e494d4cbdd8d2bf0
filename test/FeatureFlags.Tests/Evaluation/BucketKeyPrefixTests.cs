using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using FeatureFlags.Evaluation.Internal;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

public sealed class BucketKeyPrefixTests
{
    private const string Ascii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@:~!";

    [Fact]
    public void TryGetFirstWord_EveryKeyAndValueLengthThatFitsOneBlock_MatchesPlatformMd5()
    {
        var random = new Random(19);
        var mismatches = new List<string>();
        for (int keyLength = 0; keyLength <= Md5.MaxSingleBlockLength; keyLength++)
        {
            var key = RandomAscii(random, keyLength);
            var prefix = BucketKeyPrefix.TryCreate(key);
            Assert.NotNull(prefix);
            for (int valueLength = 0; keyLength + valueLength <= Md5.MaxSingleBlockLength; valueLength++)
            {
                var value = RandomAscii(random, valueLength);
                Assert.True(prefix.TryGetFirstWord(value, out var word), $"{keyLength} + {valueLength} chars should fit");
                var bucket = Bucketing.ToBucket(word);
                if (BitConverter.DoubleToInt64Bits(bucket) != BitConverter.DoubleToInt64Bits(PlatformBucket(key + value)))
                {
                    mismatches.Add($"key {keyLength} chars, value {valueLength} chars");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void TryGetFirstWord_SameAsTheWholeKeyPath_ForRealisticKeys()
    {
        string[] flagKeys = ["new-search-5050", "a", "checkout-v2", "pricing-page-theme-experiment-2026"];
        string[] values = ["user-00042", "", "3f2c1a9e-8b7d-4c6e-9a51-0d2e4f6a8b10", "jane.doe@example.com", "x"];
        foreach (var flagKey in flagKeys)
        {
            var prefix = BucketKeyPrefix.TryCreate(flagKey)!;
            foreach (var value in values)
            {
                if (flagKey.Length + value.Length > Md5.MaxSingleBlockLength)
                {
                    Assert.False(prefix.TryGetFirstWord(value, out _));
                    continue;
                }

                Assert.True(prefix.TryGetFirstWord(value, out var word));
                var bucket = Bucketing.ToBucket(word);
                Assert.Equal(Bucketing.GetBucket(flagKey, value), bucket);
                Assert.Equal(PlatformBucket(flagKey + value), bucket);
            }
        }
    }

    [Theory]
    [InlineData("user-é")]
    [InlineData("\u00FFabcdefghijk")]
    [InlineData("abcdefgh\u0100")]
    [InlineData("abcdefghijklmno\u2603")]
    [InlineData("\uD83D\uDE00")]
    public void TryGetFirstWord_ValueNotAscii_IsRefusedAndTheWholeKeyPathAgreesWithUtf8(string value)
    {
        var prefix = BucketKeyPrefix.TryCreate("flag")!;

        Assert.False(prefix.TryGetFirstWord(value, out _));
        Assert.Equal(PlatformBucket("flag" + value), Bucketing.GetBucket("flag", value));
    }

    [Theory]
    [InlineData("flag-é")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567")] // 58 chars: no room in one block
    public void TryCreate_KeyNotAsciiOrTooLong_HasNoPrefix(string flagKey)
        => Assert.Null(BucketKeyPrefix.TryCreate(flagKey));

    [Fact]
    public void FirstSteps_ThenTheRest_EqualsTheWholeCompression()
    {
        var random = new Random(5);
        var message = new byte[Md5.MaxSingleBlockLength];
        random.NextBytes(message);
        var block = new byte[64];
        message.CopyTo(block, 0);
        block[message.Length] = 0x80;
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(56), (ulong)message.Length << 3);
        var words = new uint[16];
        for (int i = 0; i < 16; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(i * 4));
        }

        int expected = Md5.FirstWordOfBlock(words);
        for (int skipped = 0; skipped <= Md5.MaxSkippedSteps; skipped++)
        {
            Assert.Equal(expected, Md5.FirstWordOfBlockFrom(skipped, Md5.FirstSteps(words, skipped), words));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => Md5.FirstSteps(words, Md5.MaxSkippedSteps + 1));
    }

    private static string RandomAscii(Random random, int length)
        => string.Create(length, random, static (span, r) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = Ascii[r.Next(Ascii.Length)];
            }
        });

    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Reference for FeatBit bucketing, not security.")]
    private static double PlatformBucket(string key)
    {
        int word = BinaryPrimitives.ReadInt32LittleEndian(MD5.HashData(Encoding.UTF8.GetBytes(key)));
        return Math.Abs(word / (double)int.MinValue);
    }
}
