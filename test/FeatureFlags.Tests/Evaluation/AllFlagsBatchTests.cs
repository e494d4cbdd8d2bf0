using System.Globalization;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// All flags with batched bucketing (multi-buffer MD5) against one evaluation at a time, on every MD5 kernel the
/// hardware runs: same variation, kind and reason for every flag and user.
/// </summary>
public sealed class AllFlagsBatchTests
{
    // By name: the kernel enum is internal, and a theory's parameters must be public types.
    public static TheoryData<string> Kernels => [.. Enum.GetNames<Md5Kernel>()];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void GetAllFlags_EveryKernel_EqualsEvaluatingEachFlagAlone(string kernelName)
    {
        var kernel = Enum.Parse<Md5Kernel>(kernelName);
        Assert.SkipUnless(Md5MultiBuffer.IsSupported(kernel), $"{kernel} does not run on this hardware.");
        var client = TestFlags.Client(TestFlags.Store(null, ManyRolloutFlags()));
        var snapshot = client.Store.Current;
        var mismatches = new List<string>();

        foreach (var user in Users())
        {
            var all = client.GetAllFlags(snapshot, user, kernel);

            Assert.Equal(snapshot.LiveKeys.Length, all.Flags.Count);
            foreach (var key in snapshot.LiveKeys)
            {
                var alone = client.StringVariationDetail(key, user, string.Empty);
                if (!all.TryGetDetail(key, out var batched) || batched != alone)
                {
                    mismatches.Add($"{user.Key} / {key}: {batched} != {alone}");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void GetAllFlags_EveryBatchFill_EqualsEvaluatingEachFlagAlone(string kernelName)
    {
        // Around every lane boundary of the batch: 8 lanes (the 256-bit kernels' pass), 16 (a full batch) and several
        // batches, the last one full or part-filled.
        var kernel = Enum.Parse<Md5Kernel>(kernelName);
        Assert.SkipUnless(Md5MultiBuffer.IsSupported(kernel), $"{kernel} does not run on this hardware.");
        foreach (var count in (int[])[1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 65])
        {
            var flags = Enumerable.Range(0, count).Select(i => TestFlags.Flag("split-" + i.ToString("D2", CultureInfo.InvariantCulture))
                .Variation("a", "alpha").Variation("b", "beta")
                .Fallthrough(null, false, TestFlags.Slice("a", 0, 0.5), TestFlags.Slice("b", 0.5, 1)).Build());
            var client = TestFlags.Client(TestFlags.Store(null, flags));
            var snapshot = client.Store.Current;
            for (var u = 0; u < 8; u++)
            {
                var user = FlagUser.Builder("batch-user-" + u.ToString(CultureInfo.InvariantCulture)).Build();
                var all = client.GetAllFlags(snapshot, user, kernel);

                Assert.Equal(count, all.Flags.Count);
                Assert.All(snapshot.LiveKeys, key => Assert.Equal(client.StringVariationDetail(key, user, string.Empty), all.Flags[key]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void GetAllFlags_FlagsThatThrow_AreErrorsAndTheOthersAreEvaluated(string kernelName)
    {
        var kernel = Enum.Parse<Md5Kernel>(kernelName);
        Assert.SkipUnless(Md5MultiBuffer.IsSupported(kernel), $"{kernel} does not run on this hardware.");
        var client = TestFlags.Client(TestFlags.Store(null, ManyRolloutFlags()));
        var healthy = client.Store.Current;

        // A bug stand-in: a flag whose rules are missing throws inside the evaluator. One early (rollouts are queued
        // before and after it), one mid-batch and the last flag (nothing is evaluated after it).
        var keys = healthy.LiveKeys;
        string[] throwing = [keys[1], keys[keys.Length / 2], keys[^1]];
        var flags = new Dictionary<string, CompiledFlag>(healthy.Flags, StringComparer.Ordinal);
        foreach (var key in throwing)
        {
            flags[key] = WithoutRules(flags[key]);
        }

        var snapshot = new FlagSnapshot(flags, healthy.Segments, isInitialized: true);
        foreach (var user in Users().Take(10))
        {
            var all = client.GetAllFlags(snapshot, user, kernel);

            Assert.Equal(keys.Length, all.Flags.Count);
            foreach (var key in keys)
            {
                var detail = all.Flags[key];
                if (throwing.Contains(key))
                {
                    Assert.Equal((EvaluationReasonKind.Error, "evaluation error"), (detail.Kind, detail.Reason));
                }
                else
                {
                    Assert.Equal(client.StringVariationDetail(key, user, string.Empty), detail);
                }
            }
        }
    }

    [Fact]
    public void GetAllFlags_FlagsSharingSegments_EqualEvaluatingEachFlagAlone()
    {
        // More segments than the per-call memo holds (8), shared by many flags in both senses (in / not in), with
        // included, excluded and rule membership, one segment with a regex rule (never memoised) and one broken rule.
        var segments = new List<SegmentDto>();
        for (var s = 0; s < 12; s++)
        {
            var segment = TestFlags.Segment(SegmentId(s)).Included("user-" + s.ToString(CultureInfo.InvariantCulture)).Excluded("user-1");
            segment = (s % 4) switch
            {
                0 => segment.Rule(TestFlags.Condition("plan", "Equal", "FR")),
                1 => segment.Rule(TestFlags.Condition("keyId", "MatchRegex", "^user-[0-4]$")),
                2 => segment.Rule(TestFlags.Condition("plan", "BiggerThan", "oops")),
                _ => segment,
            };
            segments.Add(segment.Build());
        }

        var flags = new List<FlagDto>();
        for (var i = 0; i < 60; i++)
        {
            var op = i % 3 == 0 ? TestFlags.NotInSegment : TestFlags.InSegment;
            string[] ids = i % 5 == 0 ? [SegmentId(i % 12), SegmentId((i + 5) % 12)] : [SegmentId(i % 12)];
            flags.Add(TestFlags.Flag("seg-" + i.ToString("D2", CultureInfo.InvariantCulture)).HitMiss()
                .Rule("in", TestFlags.HitId, TestFlags.SegmentCondition(op, ids))
                .Fallthrough(null, false, TestFlags.Slice(TestFlags.HitId, 0, 0.5), TestFlags.Slice(TestFlags.MissId, 0.5, 1))
                .Build());
        }

        var client = TestFlags.Client(TestFlags.Store(null, flags, segments));
        var mismatches = new List<string>();
        foreach (var user in Users().Concat(Enumerable.Range(0, 12).Select(i => FlagUser.Builder("user-" + i.ToString(CultureInfo.InvariantCulture)).Custom("plan", "FR").Build())))
        {
            var all = client.GetAllFlags(user);
            foreach (var key in client.Store.Current.LiveKeys)
            {
                var alone = client.StringVariationDetail(key, user, string.Empty);
                if (!all.TryGetDetail(key, out var batched) || batched != alone)
                {
                    mismatches.Add($"{user.Key} / {key}: {batched} != {alone}");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    private static string SegmentId(int i) => string.Create(CultureInfo.InvariantCulture, $"00000000-0000-0000-0000-{i:D12}");

    private static CompiledFlag WithoutRules(CompiledFlag f) => new()
    {
        Key = f.Key,
        Version = f.Version,
        IsArchived = f.IsArchived,
        IsEnabled = true,
        DisabledVariation = f.DisabledVariation,
        Targets = TargetMap.Empty,
        Rules = null!,
        Fallthrough = f.Fallthrough,
        ExptIncludeAllTargets = f.ExptIncludeAllTargets,
        Variations = f.Variations,
        VariationType = f.VariationType,
        SegmentIds = f.SegmentIds,
        Problems = f.Problems,
        Source = f.Source,
    };

    [Fact]
    public void GetAllFlags_ManyRollouts_SplitsUsersAsTheFlagsSay()
    {
        var client = TestFlags.Client(TestFlags.Store(null, ManyRolloutFlags()));
        var all = client.GetAllFlags(FlagUser.Builder("user-0042").Build());

        // Sanity: the batch really served both halves of the 50/50 rollouts (not one variation everywhere).
        var halves = all.Flags.Where(f => f.Key.StartsWith("half-", StringComparison.Ordinal)).GroupBy(f => f.Value.VariationId).ToList();
        Assert.Equal(2, halves.Count);
    }

    [Fact]
    public void AllFlagsState_Flags_IsAnOrderedReadOnlyDictionary()
    {
        var client = TestFlags.Client(TestFlags.Store(null, ManyRolloutFlags()));
        var keys = client.Store.Current.LiveKeys;
        var all = client.GetAllFlags(FlagUser.Builder("someone").Build());
        var flags = all.Flags;

        Assert.Equal(keys, flags.Keys);
        Assert.Equal(keys, flags.Select(f => f.Key));
        Assert.Equal(flags.Select(f => f.Value), flags.Values);
        Assert.All(flags, f => Assert.Equal(f.Key, f.Value.FlagKey));
        Assert.True(flags.ContainsKey(keys[^1]));
        Assert.False(flags.ContainsKey("no-such-flag"));
        Assert.False(flags.TryGetValue("no-such-flag", out _));
        Assert.False(all.TryGetDetail(null!, out _));
        Assert.Throws<KeyNotFoundException>(() => flags["no-such-flag"]);
        Assert.Equal(flags[keys[0]], all.TryGetDetail(keys[0], out var detail) ? detail : default);
        Assert.Same(flags, all.Flags);
        Assert.IsNotType<string[]>(flags.Keys, exactMatch: false); // the snapshot's array is not handed out
    }

    [Fact]
    public void GetAllFlags_SteadyState_AllocatesOnlyTheResult()
    {
        var client = TestFlags.Client(TestFlags.Store(null, ManyRolloutFlags()));
        var user = FlagUser.Builder("user-7").Custom("plan", "FR").Build();
        var count = client.Store.Current.LiveKeys.Length;
        client.GetAllFlags(user);

        long before = GC.GetAllocatedBytesForCurrentThread();
        client.GetAllFlags(user);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The state and one 16-byte entry per flag; no per-flag detail, dictionary or hash buffer.
        Assert.InRange(allocated, 16 * count, (16 * count) + 200);
    }

    /// <summary>
    /// Rollout flags of every shape the batch meets: short, long (more than one MD5 block with the user key) and
    /// non-ASCII keys; user-key and attribute dispatch; two- and three-way splits, invalid and shortcut slices,
    /// experiments; interleaved with off, targeted and rule flags so the batch fills and drains mid-way.
    /// </summary>
    private static IEnumerable<FlagDto> ManyRolloutFlags()
    {
        for (var i = 0; i < 70; i++)
        {
            var n = i.ToString("D2", CultureInfo.InvariantCulture);
            var builder = TestFlags.Flag((i % 7) switch
            {
                0 => "half-" + n,
                1 => "long-flag-key-that-with-a-user-key-needs-two-md5-blocks-" + n,
                2 => "größe-" + n,
                3 => "half-by-plan-" + n,
                4 => "three-way-" + n,
                5 => "rule-" + n,
                _ => "half-expt-" + n,
            }).Variation("a", "alpha").Variation("b", "beta").Variation("c", "gamma");
            builder = (i % 7) switch
            {
                3 => builder.Fallthrough("plan", false, TestFlags.Slice("a", 0, 0.5), TestFlags.Slice("b", 0.5, 1)),
                4 => builder.Fallthrough(null, false, TestFlags.Slice("a", 0, 0.2), TestFlags.Slice("b", 0.2, 0.7), TestFlags.Slice("c", 0.7, 1)),
                5 => builder
                    .Rule("fr", "plan", false, [TestFlags.Condition("plan", "Equal", "FR")], TestFlags.Slice("a", 0, 0.3), TestFlags.Slice("b", 0.3, 1))
                    .Fallthrough(null, false, TestFlags.Slice("c", 0, 0), TestFlags.Slice("a", 0, 0.6), TestFlags.Slice("b", 0.6, 1)),
                6 => builder.Fallthrough(null, true, TestFlags.Slice("a", 0, 0.5, 0.4), TestFlags.Slice("b", 0.5, 1, 0.4)),
                _ => builder.Fallthrough(null, false, TestFlags.Slice("a", 0, 0.5), TestFlags.Slice("b", 0.5, 1)),
            };
            yield return builder.Build();

            if (i % 10 == 0)
            {
                yield return TestFlags.Flag("off-" + n).Variation("x", "off").Off("x").Build();
                yield return TestFlags.Flag("targeted-" + n).HitMiss().Target(TestFlags.HitId, "user-1", "user-0042").Fallthrough(TestFlags.MissId).Build();
                yield return TestFlags.Flag("broken-" + n).Variation("v", "x").Fallthrough("v-gone").Build();
            }
        }
    }

    private static IEnumerable<FlagUser> Users()
    {
        for (var i = 0; i < 40; i++)
        {
            var builder = FlagUser.Builder((i % 5) switch
            {
                0 => "user-" + i.ToString(CultureInfo.InvariantCulture),
                1 => "ünïcode-user-" + i.ToString(CultureInfo.InvariantCulture),
                2 => new string('u', 40) + i.ToString(CultureInfo.InvariantCulture),
                3 => "😀" + i.ToString(CultureInfo.InvariantCulture),
                _ => string.Create(CultureInfo.InvariantCulture, $"3f2c1a9e-8b7d-4c6e-9a51-{i:D12}"),
            });
            if (i % 3 != 0)
            {
                builder.Custom("plan", i % 2 == 0 ? "FR" : "GB");
            }

            yield return builder.Build();
        }

        yield return FlagUser.Builder("user-0042").Build();
    }
}
