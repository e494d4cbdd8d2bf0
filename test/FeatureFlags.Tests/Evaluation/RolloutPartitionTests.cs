using System.Runtime.CompilerServices;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The branch-free slice choice of a rollout whose slices split [0, 1] (<c>CompiledRollout.IsPartition</c>): which shapes
/// take it, and that it serves exactly what FeatBit's walk serves (the first valid slice holding the bucket, with the
/// [0, ~1] and [0, 0] shortcuts), for single evaluations and the batch of all flags alike.
/// </summary>
public sealed class RolloutPartitionTests
{
    private const string FlagKey = "partition";

    public static TheoryData<string, double[], bool> Shapes => new()
    {
        { "50/50", [0, 0.5, 0.5, 1], true },
        { "three ways", [0, 0.2, 0.2, 0.7, 0.7, 1], true },
        { "zero-width slice in the middle", [0, 0.4, 0.4, 0.4, 0.4, 1], true },
        { "last slice past 1", [0, 0.5, 0.5, 1.5], true },
        { "gap", [0, 0.4, 0.5, 1], false },
        { "overlap", [0, 0.6, 0.5, 1], false },
        { "last slice short of 1", [0, 0.5, 0.5, 0.9], false },
        { "first slice not from 0", [0.1, 0.5, 0.5, 1], false },
        { "reversed slice", [0, 0.5, 0.7, 0.6, 0.6, 1], false },
        { "empty first slice", [0, 0, 0, 1], false },
        { "whole range in one slice", [0, 1], false },
        { "near-one first slice (the whole-range shortcut)", [0, 0.999995, 0.999995, 1], false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void IsPartition_OnlyForConsecutiveSlicesFromZeroToOne(string shape, double[] bounds, bool expected)
    {
        var flag = Compile(Flag(bounds));

        Assert.True(expected == flag.Fallthrough.IsPartition, shape);
    }

    [Fact]
    public void IsPartition_NotWithAnInvalidSlice()
    {
        var dto = Flag([0, 0.5, 0.5, 1]);
        dto.Fallthrough!.Variations![1].Rollout = [0.5];

        Assert.False(Compile(dto).Fallthrough.IsPartition);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Evaluate_ServesWhatTheWalkServes(string shape, double[] bounds, bool isPartition)
    {
        _ = isPartition;
        var dto = Flag(bounds);
        var flag = Compile(dto);
        var slices = SlicesOf(bounds);
        for (var i = 0; i < 2_000; i++)
        {
            var user = FlagUser.Create("user-" + i);
            var expected = WalkOracle(slices, Bucketing.GetBucket(FlagKey, user.Key));

            var result = Evaluator.Evaluate(flag, user, strictMissingAttributes: false);

            Assert.True(expected == result.Variation?.Id, $"{shape}, {user.Key}: expected {expected ?? "malformed"}, served {result.Variation?.Id ?? "malformed"}");
        }
    }

    [Fact]
    public void FinishWithBucket_OnEveryBoundAndBetween_MatchesTheWalk()
    {
        // Buckets exactly on each bound (both slices hold it; the first wins), one unit (2^-31) either side of it, and
        // the ends, from digest words of both signs (a bucket is the word's magnitude).
        double[] bounds = [0, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5, 1];
        var flag = Compile(Flag(bounds));
        Assert.True(flag.Fallthrough.IsPartition);
        var slices = SlicesOf(bounds);
        int[] words = [0, 1, -1, 1 << 29, (1 << 29) - 1, (1 << 29) + 1, 1 << 30, (1 << 30) - 1, (1 << 30) + 1, -(1 << 30), -((1 << 30) + 1), 3 << 29, int.MaxValue, int.MinValue, int.MinValue + 1];

        foreach (var word in words)
        {
            var result = Evaluator.FinishWithBucket(flag, PendingRollout.Fallthrough, word);

            Assert.True(WalkOracle(slices, Bucketing.ToBucket(word)) == result.Variation?.Id, $"word {word}, bucket {Bucketing.ToBucket(word):R}");
            Assert.True(result.Split);
        }
    }

    public static TheoryData<double> UnalignedBounds => [0.1, 0.2, 0.3, 1.0 / 3, 0.7, 0.999, Math.BitDecrement(0.5), Math.BitIncrement(0.5), 1e-12, 0.99998];

    [Theory]
    [MemberData(nameof(UnalignedBounds))]
    public void FinishWithBucket_AroundABoundThatIsNotAWholeUnit_MatchesTheWalk(double bound)
    {
        // The partition compares whole units (RolloutSlice.MaxUnits); a bound between two units must split the words
        // exactly where comparing the double bucket with it does.
        double[] bounds = [0, bound, bound, 1];
        var flag = Compile(Flag(bounds));
        Assert.True(flag.Fallthrough.IsPartition);
        var slices = SlicesOf(bounds);
        var units = (long)Math.Floor(bound * 2147483648.0);
        for (var offset = -3L; offset <= 3; offset++)
        {
            var magnitude = Math.Clamp(units + offset, 0, int.MaxValue);
            foreach (var word in new[] { (int)magnitude, (int)-magnitude })
            {
                var result = Evaluator.FinishWithBucket(flag, PendingRollout.Fallthrough, word);

                Assert.True(WalkOracle(slices, Bucketing.ToBucket(word)) == result.Variation?.Id, $"bound {bound:R}, word {word}");
            }
        }
    }

    [Fact]
    public void ResultAndSlice_KeepTheirSizes()
    {
        // The evaluator's result is returned in two registers only while it is 16 bytes with one reference, and a
        // slice's end in units sits in the padding a slice already had.
        Assert.Equal(16, Unsafe.SizeOf<EvalResult>());
        Assert.Equal(40, Unsafe.SizeOf<RolloutSlice>());
    }

    [Fact]
    public void BucketUnits_AreTheBucketInUnitsOfTwoToTheMinus31()
    {
        var random = new Random(31);
        int[] edges = [0, 1, -1, int.MaxValue, int.MinValue, int.MinValue + 1, 1 << 30, -(1 << 30)];
        foreach (var word in edges.Concat(Enumerable.Range(0, 10_000).Select(_ => random.Next(int.MinValue, int.MaxValue))))
        {
            Assert.Equal(Bucketing.ToBucket(word), Bucketing.ToUnits(word) / 2147483648.0);
        }

        Assert.Equal(1u << 31, Bucketing.UnitsOf(1));
        Assert.Equal(1u << 31, Bucketing.UnitsOf(1.5));
        Assert.Equal(1u << 31, Bucketing.UnitsOf(double.NaN));
        Assert.Equal(0u, Bucketing.UnitsOf(0));
        Assert.Equal(1u << 30, Bucketing.UnitsOf(0.5));
        Assert.Equal((1u << 30) - 1, Bucketing.UnitsOf(Math.BitDecrement(0.5)));
        Assert.Equal(1u << 30, Bucketing.UnitsOf(Math.BitIncrement(0.5)));
    }

    [Fact]
    public void FinishWithBucket_DanglingVariation_IsMalformed()
    {
        var dto = Flag([0, 0.5, 0.5, 1]);
        dto.Fallthrough!.Variations![1].Id = "no-such-variation";
        var flag = Compile(dto);
        Assert.True(flag.Fallthrough.IsPartition);

        Assert.Equal("v0", Evaluator.FinishWithBucket(flag, PendingRollout.Fallthrough, 1 << 29).Variation?.Id); // bucket 0.25
        Assert.Equal(EvaluationReasonKind.MalformedFlag, Evaluator.FinishWithBucket(flag, PendingRollout.Fallthrough, -(3 << 29)).Kind); // 0.75
    }

    [Fact]
    public void GetAllFlags_PartitionsAgreeWithSingleEvaluations()
    {
        var flags = Enumerable.Range(0, 40)
            .Select(i => Flag([0, 0.1 + i * 0.02, 0.1 + i * 0.02, 0.95, 0.95, 1], "flag-" + i))
            .ToArray();
        var client = TestFlags.Client(TestFlags.Store(flags));

        for (var u = 0; u < 50; u++)
        {
            var user = FlagUser.Create("user-" + u);
            var all = client.GetAllFlags(user);
            foreach (var dto in flags)
            {
                Assert.Equal(client.StringVariationDetail(dto.Key!, user, "default").VariationId, all.Flags[dto.Key!].VariationId);
            }
        }
    }

    // FeatBit's walk, written out independently of the evaluator: the first valid slice holding the bucket.
    private static string? WalkOracle((string Id, double Min, double Max)[] slices, double bucket)
    {
        foreach (var (id, min, max) in slices)
        {
            var holds = min == 0 && 1 - max < 1e-5 || !(min == 0 && max == 0) && min <= bucket && bucket <= max;
            if (holds)
            {
                return id;
            }
        }

        return null;
    }

    private static (string Id, double Min, double Max)[] SlicesOf(double[] bounds)
        => [.. Enumerable.Range(0, bounds.Length / 2).Select(i => ("v" + i, bounds[2 * i], bounds[(2 * i) + 1]))];

    private static FlagDto Flag(double[] bounds, string key = FlagKey)
    {
        var builder = TestFlags.Flag(key);
        var slices = SlicesOf(bounds);
        foreach (var (id, _, _) in slices)
        {
            builder.Variation(id, id);
        }

        return builder.Fallthrough(null, false, [.. slices.Select(s => TestFlags.Slice(s.Id, s.Min, s.Max))]).Build();
    }

    private static CompiledFlag Compile(FlagDto dto) => TestFlags.Store(dto).Current.Flags[dto.Key!];
}
