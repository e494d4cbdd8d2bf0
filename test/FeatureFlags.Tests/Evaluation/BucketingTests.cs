using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using FeatureFlags.Evaluation.Internal;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

public sealed class BucketingTests
{
    // FeatBit's published vectors, with the first digest word they come from.
    [Theory]
    [InlineData("test-value", 314684291, 0.14653629204258323)]
    [InlineData("qKPKh1S3FolC", 1955481364, 0.9105919692665339)]
    [InlineData("3eacb184-2d79-49df-9ea7-edd4f10e4c6f", 193153337, 0.08994403155520558)]
    [InlineData("ff-test-booltest-user-3", -1385637251, 0.645237626042217)]
    [Trait("Conformance", "EVAL-05")]
    public void GetBucket_OfficialVector_MatchesDigestWordAndBucket(string key, int expectedWord, double expectedBucket)
    {
        Assert.Equal(expectedWord, Md5.HashFirstInt32(Encoding.UTF8.GetBytes(key)));
        Assert.Equal(expectedBucket, Bucketing.GetBucket(key, []));
    }

    [Theory]
    [InlineData("ff-test-booltest-user-3", 0.645237626042217)]
    [InlineData("ff-test-booltest-user-4", 0.1994927953928709)]
    [InlineData("ff-test-jsontest-user-1", 0.11303814221173525)]
    [InlineData("ff-test-jsontest-user-2", 0.9716241317801178)]
    [InlineData("用户-1", 0.28269682405516505)]
    [InlineData("exampleuser-20", 0.10738360183313489)]
    [InlineData("exampleuser-1", 0.288108232896775)]
    [InlineData("exptexampleuser-1", 0.2715731761418283)]
    [InlineData("hellou1", 0.24027392361313105)]
    [InlineData("expthellou1", 0.6712682144716382)]
    [InlineData("hellou2", 0.5251486152410507)]
    [InlineData("expthellou2", 0.3265200210735202)]
    [InlineData("hellou3", 0.06465095793828368)]
    [InlineData("expthellou3", 0.27133520413190126)]
    [Trait("Conformance", "EVAL-05")]
    public void GetBucket_KnownKey_MatchesExpectedBucketAndReference(string key, double expectedBucket)
    {
        Assert.Equal(expectedBucket, ReferenceBucket(key));
        Assert.Equal(expectedBucket, Bucketing.GetBucket(key, []));
        Assert.Equal(expectedBucket, Bucketing.GetBucket([], key, []));
    }

    [Fact]
    public void GetBucket_TwoPartSplit_EqualsWholeKey()
    {
        Assert.Equal(0.645237626042217, Bucketing.GetBucket("ff-test-bool", "test-user-3"));
        Assert.Equal(0.28269682405516505, Bucketing.GetBucket("用户", "-1"));
    }

    [Fact]
    public void GetBucket_ThreePartSplit_EqualsWholeKey()
    {
        Assert.Equal(0.6712682144716382, Bucketing.GetBucket("expt", "hello", "u1"));
        Assert.Equal(0.2715731761418283, Bucketing.GetBucket("expt", "exampleuser", "-1"));
    }

    // Built in code, not with [InlineData]: attribute strings are stored as UTF-8, which turns lone surrogates into U+FFFD.
    private static readonly (string Part1, string Part2, string Part3)[] SurrogateBoundaryCases =
    [
        ("a\uD83D", "\uDE00b", ""),  // pair split between part 1 and part 2
        ("a", "b\uD83D", "\uDE00"),  // pair split between part 2 and part 3
        ("a\uD83D", "", "\uDE00b"),  // pair split across an empty middle part
        ("\uD83D", "\uDE00", ""),    // parts made only of the pair halves
        ("a\uD83D", "b", "\uDE00"),  // halves not adjacent: two lone surrogates
        ("\uDE00", "\uD83D", ""),    // low then high: two lone surrogates
        ("x\uD83D", "", ""),          // lone high surrogate at the end
        ("\uDC00x", "y", ""),         // lone low surrogate at the start
        ("\uD83D\uDE00", "-user-\uD83D\uDE00", "\uD83C\uDF89"), // whole pairs inside parts
    ];

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void GetBucket_SurrogatesAtPartBoundaries_EqualsEncodingWholeKey()
    {
        var mismatches = new List<int>();
        for (int i = 0; i < SurrogateBoundaryCases.Length; i++)
        {
            (string part1, string part2, string part3) = SurrogateBoundaryCases[i];
            if (Bucketing.GetBucket(part1, part2, part3) != ReferenceBucket(part1 + part2 + part3)
                || Bucketing.GetBucket(part1, part2) != ReferenceBucket(part1 + part2))
            {
                mismatches.Add(i);
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void GetBucket_PairSplitAcrossParts_HashesOneCodePointNotTwoReplacementChars()
    {
        double pair = ReferenceBucket("a\uD83D\uDE00b");
        Assert.NotEqual(ReferenceBucket("a\uFFFD\uFFFDb"), pair); // guards the premise of the test

        Assert.Equal(pair, Bucketing.GetBucket("a\uD83D", "\uDE00b"));
        Assert.Equal(pair, Bucketing.GetBucket("a\uD83D", "", "\uDE00b"));
        Assert.Equal(ReferenceBucket("a\uFFFDx\uFFFDb"), Bucketing.GetBucket("a\uD83D", "x", "\uDE00b"));
    }

    [Fact]
    public void GetBucket_RandomKeysOfEveryLengthUpTo400_EqualReference()
    {
        var random = new Random(1234);
        var mismatches = new List<string>();
        int splitPairs = 0;

        for (int length = 1; length <= 400; length++)
        {
            string key = RandomKey(random, length);
            double expected = ReferenceBucket(key);

            // Two parts, cut at a random point (possibly inside a surrogate pair).
            int cut = random.Next(0, length + 1);
            splitPairs += SplitsPair(key, cut) ? 1 : 0;
            if (Bucketing.GetBucket(key.AsSpan(0, cut), key.AsSpan(cut)) != expected)
            {
                mismatches.Add($"length {length}, 2 parts cut at {cut}");
            }

            // Three parts, either part possibly empty.
            int cut1 = random.Next(0, length + 1);
            int cut2 = random.Next(cut1, length + 1);
            splitPairs += SplitsPair(key, cut1) || SplitsPair(key, cut2) ? 1 : 0;
            if (Bucketing.GetBucket(key.AsSpan(0, cut1), key.AsSpan(cut1, cut2 - cut1), key.AsSpan(cut2)) != expected)
            {
                mismatches.Add($"length {length}, 3 parts cut at {cut1} and {cut2}");
            }

            // Cut exactly inside the first surrogate pair, when there is one.
            int pair = IndexOfPair(key);
            if (pair >= 0)
            {
                splitPairs++;
                if (Bucketing.GetBucket(key.AsSpan(0, pair + 1), key.AsSpan(pair + 1)) != expected
                    || Bucketing.GetBucket(key.AsSpan(0, pair + 1), [], key.AsSpan(pair + 1)) != expected)
                {
                    mismatches.Add($"length {length}, cut inside the pair at {pair}");
                }
            }
        }

        Assert.Empty(mismatches);
        Assert.True(splitPairs > 100, $"only {splitPairs} keys had a surrogate pair split across parts");
    }

    [Fact]
    public void GetBucket_RandomAsciiKeysOfEveryLengthUpTo200_EveryCut_EqualReference()
    {
        // The one-block ASCII fast path (up to 55 chars) and its edges, with the key cut between the two parts anywhere.
        var random = new Random(5050);
        var mismatches = new List<string>();
        for (int length = 0; length <= 200; length++)
        {
            for (int trial = 0; trial < 5; trial++)
            {
                var chars = new char[length];
                for (int i = 0; i < length; i++)
                {
                    chars[i] = (char)random.Next(0, 0x80);
                }

                string key = new(chars);
                double expected = ReferenceBucket(key);
                int cut = trial == 0 ? 0 : trial == 1 ? length : random.Next(0, length + 1);
                if (Bucketing.GetBucket(key.AsSpan(0, cut), key.AsSpan(cut)) != expected)
                {
                    mismatches.Add($"length {length}, cut at {cut}");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void ToBucket_EdgeWords_MatchDividingByIntMinValue()
    {
        foreach (int word in new[] { 0, 1, -1, int.MaxValue, int.MinValue, int.MinValue + 1, 123456789, -987654321 })
        {
            Assert.Equal(Math.Abs((double)word / int.MinValue), Bucketing.ToBucket(word));
        }

        var random = new Random(31);
        for (int i = 0; i < 100_000; i++)
        {
            int word = random.Next(int.MinValue, int.MaxValue);
            Assert.Equal(Math.Abs((double)word / int.MinValue), Bucketing.ToBucket(word));
        }
    }

    [Fact]
    public void IsInRollout_ZeroToOne_IsTrueWithoutHashing()
    {
        Assert.False(Bucketing.RequiresHash(0, 1));
        Assert.True(Bucketing.IsInRollout(0, 1, "any", "key"));
        Assert.True(Bucketing.IsInRolloutBucket(double.NaN, 0, 1));
    }

    [Fact]
    public void IsInRollout_ZeroTo99999_HitsFullRolloutShortcut()
    {
        Assert.False(Bucketing.RequiresHash(0, 0.99999));
        Assert.True(Bucketing.IsInRollout(0, 0.99999, "any", "key"));
        Assert.True(Bucketing.IsInRolloutBucket(0.999995, 0, 0.99999));
    }

    [Fact]
    public void IsInRollout_ZeroTo99998_RequiresHash()
    {
        Assert.True(Bucketing.RequiresHash(0, 0.99998));
        Assert.False(Bucketing.IsInRolloutBucket(0.99999, 0, 0.99998));
    }

    [Fact]
    public void IsInRollout_ZeroToZero_IsFalseWithoutHashing()
    {
        Assert.False(Bucketing.RequiresHash(0, 0));
        Assert.False(Bucketing.IsInRollout(0, 0, "any", "key"));
        Assert.False(Bucketing.IsInRollout(0, 0, "any", "key", "part"));
        Assert.False(Bucketing.IsInRolloutBucket(0, 0, 0));
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void IsInRolloutBucket_BucketOnEitherEnd_IsIncluded()
    {
        Assert.True(Bucketing.RequiresHash(0.25, 0.5));
        Assert.True(Bucketing.IsInRolloutBucket(0.25, 0.25, 0.5));
        Assert.True(Bucketing.IsInRolloutBucket(0.5, 0.25, 0.5));
        Assert.True(Bucketing.IsInRolloutBucket(0, 0, 0.5));
        Assert.True(Bucketing.IsInRolloutBucket(1, 0.5, 1));
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void IsInRolloutBucket_BucketJustOutside_IsExcluded()
    {
        Assert.False(Bucketing.IsInRolloutBucket(Math.BitDecrement(0.25), 0.25, 0.5));
        Assert.False(Bucketing.IsInRolloutBucket(Math.BitIncrement(0.5), 0.25, 0.5));
    }

    [Fact]
    [Trait("Conformance", "EVAL-05")]
    public void IsInRollout_HashedKey_UsesInclusiveInterval()
    {
        const double bucket = 0.14653629204258323; // "test-value"

        Assert.True(Bucketing.IsInRollout(bucket, bucket, "test-", "value"));
        Assert.True(Bucketing.IsInRollout(0.1, 0.2, "test", "-", "value"));
        Assert.False(Bucketing.IsInRollout(Math.BitIncrement(bucket), 0.5, "test-", "value"));
        Assert.False(Bucketing.IsInRollout(0, Math.BitDecrement(bucket), "test", "-", "value"));
    }

    [Fact]
    public void GetBucket_SteadyState_AllocatesNothing()
    {
        // ~30 chars, like a flag key plus a user key.
        string flagKey = "ff-checkout-redesign-";
        string userKey = "user-12345";
        string salt = "expt";
        double sink = 0;
        for (int i = 0; i < 100; i++)
        {
            sink += Bucketing.GetBucket(flagKey, userKey) + Bucketing.GetBucket(salt, flagKey, userKey);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sink += Bucketing.GetBucket(flagKey, userKey) + Bucketing.GetBucket(salt, flagKey, userKey);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sink > 0);
    }

    [Fact]
    public void GetBucket_LongKeySteadyState_AllocatesNothing()
    {
        // Too long for the stack buffer: goes through ArrayPool.
        string flagKey = new('f', 300);
        string userKey = new('u', 200);
        double sink = 0;
        for (int i = 0; i < 100; i++)
        {
            sink += Bucketing.GetBucket(flagKey, userKey);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sink += Bucketing.GetBucket(flagKey, userKey);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(ReferenceBucket(flagKey + userKey) * 1100, sink, 1e-9);
    }

    private static double ReferenceBucket(string key)
        => Math.Abs((double)BinaryPrimitives.ReadInt32LittleEndian(PlatformMd5(Encoding.UTF8.GetBytes(key))) / int.MinValue);

    // Mostly ASCII, plus 2- and 3-byte UTF-8 chars, emoji surrogate pairs and the odd lone surrogate.
    private static string RandomKey(Random random, int length)
    {
        var builder = new StringBuilder(length);
        while (builder.Length < length)
        {
            int kind = random.Next(100);
            if (kind < 60)
            {
                builder.Append((char)random.Next(0x20, 0x7F));
            }
            else if (kind < 70)
            {
                builder.Append((char)random.Next(0x80, 0x800));
            }
            else if (kind < 80)
            {
                builder.Append((char)random.Next(0x4E00, 0x9FFF));
            }
            else if (kind < 94)
            {
                if (builder.Length + 2 <= length)
                {
                    builder.Append(char.ConvertFromUtf32(random.Next(0x1F300, 0x1FAFF)));
                }
                else
                {
                    builder.Append('z');
                }
            }
            else if (kind < 97)
            {
                builder.Append((char)random.Next(0xD800, 0xDC00)); // lone high surrogate (unless a low one follows)
            }
            else
            {
                builder.Append((char)random.Next(0xDC00, 0xE000)); // lone low surrogate
            }
        }

        return builder.ToString();
    }

    private static bool SplitsPair(string key, int cut)
        => cut > 0 && cut < key.Length && char.IsHighSurrogate(key[cut - 1]) && char.IsLowSurrogate(key[cut]);

    private static int IndexOfPair(string key)
    {
        for (int i = 0; i + 1 < key.Length; i++)
        {
            if (char.IsSurrogatePair(key[i], key[i + 1]))
            {
                return i;
            }
        }

        return -1;
    }

    // The platform implementation is the oracle; MD5 here is a bucketing function, not a security primitive.
    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Reference for FeatBit bucketing, not security.")]
    private static byte[] PlatformMd5(byte[] input) => MD5.HashData(input);
}
