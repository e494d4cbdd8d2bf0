using System.Text.Json;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// Small builders for our own test data: wire flags and segments as the server would send them, loaded into a real
/// store and read through the real client.
/// </summary>
/// <example>
/// <code>
/// var store = TestFlags.Store(TestFlags.OneRule("f", TestFlags.Condition("plan", "Equal", "premium")));
/// var value = TestFlags.Client(store).StringVariation("f", user, "default"); // "hit" or "miss"
/// </code>
/// </example>
internal static class TestFlags
{
    /// <summary>The id of the variation a matching rule serves in <see cref="OneRule"/>.</summary>
    public const string HitId = "v-hit";

    /// <summary>The value of the variation a matching rule serves in <see cref="OneRule"/>.</summary>
    public const string Hit = "hit";

    /// <summary>The id of the fallthrough variation in <see cref="OneRule"/>.</summary>
    public const string MissId = "v-miss";

    /// <summary>The value of the fallthrough variation in <see cref="OneRule"/>.</summary>
    public const string Miss = "miss";

    /// <summary>The name of the rule <see cref="OneRule"/> builds.</summary>
    public const string RuleName = "the rule";

    public const string InSegment = "User is in segment";

    public const string NotInSegment = "User is not in segment";

    public static FlagBuilder Flag(string key) => new(key);

    public static SegmentBuilder Segment(string id) => new(id);

    /// <summary>A flag with one rule holding <paramref name="conditions"/> that serves "hit"; fallthrough serves "miss".</summary>
    public static FlagDto OneRule(string key, params ConditionDto[] conditions)
        => Flag(key).HitMiss().Rule(RuleName, HitId, conditions).Fallthrough(MissId).Build();

    public static ConditionDto Condition(string property, string? op, string value) => new() { Property = property, Op = op, Value = value };

    /// <summary>A segment condition as the server sends it: the op is null and the value a JSON array of ids.</summary>
    public static ConditionDto SegmentCondition(string property, params string[] segmentIds) => Condition(property, null, JsonList(segmentIds));

    /// <summary>A JSON array of strings, as list operands travel on the wire (inside the condition's string value).</summary>
    public static string JsonList(IEnumerable<string> values) => JsonSerializer.Serialize(values.ToList(), WireJsonContext.Default.ListString);

    public static RolloutVariationDto Slice(string variationId, double min, double max, double exptRollout = 1)
        => new() { Id = variationId, Rollout = [min, max], ExptRollout = exptRollout };

    public static FlagStore Store(params FlagDto[] flags) => Store(null, flags);

    public static FlagStore Store(FeatureFlagsOptions? options, IEnumerable<FlagDto> flags, IEnumerable<SegmentDto>? segments = null)
    {
        var store = Fixtures.NewStore(options);
        store.ApplyFull([.. flags], [.. segments ?? []]);
        return store;
    }

    public static FeatureFlagClient Client(FlagStore store, FeatureFlagsOptions? options = null) => Fixtures.Client(store, options);
}

/// <summary>Builds a <see cref="FlagDto"/>: enabled, no variations, targets or rules until added.</summary>
internal sealed class FlagBuilder
{
    private readonly FlagDto _flag;

    public FlagBuilder(string key)
    {
        _flag = new FlagDto
        {
            Id = "id-" + key,
            Key = key,
            VariationType = "string",
            Variations = [],
            TargetUsers = [],
            Rules = [],
            IsEnabled = true,
            UpdatedAt = 1_700_000_000_000,
        };
    }

    public FlagBuilder Variation(string id, string value)
    {
        _flag.Variations!.Add(new VariationDto { Id = id, Value = value });
        return this;
    }

    /// <summary>Adds the "hit" and "miss" variations.</summary>
    public FlagBuilder HitMiss() => Variation(TestFlags.HitId, TestFlags.Hit).Variation(TestFlags.MissId, TestFlags.Miss);

    public FlagBuilder Off(string disabledVariationId = TestFlags.MissId)
    {
        _flag.IsEnabled = false;
        _flag.DisabledVariationId = disabledVariationId;
        return this;
    }

    public FlagBuilder Target(string variationId, params string[] keys)
    {
        _flag.TargetUsers!.Add(new TargetUserDto { VariationId = variationId, KeyIds = [.. keys] });
        return this;
    }

    /// <summary>Adds a rule that serves one variation to everyone it matches (rollout [0, 1]).</summary>
    public FlagBuilder Rule(string name, string variationId, params ConditionDto[] conditions)
        => Rule(name, dispatchKey: null, includedInExpt: false, conditions, TestFlags.Slice(variationId, 0, 1));

    public FlagBuilder Rule(string name, string? dispatchKey, bool includedInExpt, ConditionDto[] conditions, params RolloutVariationDto[] slices)
    {
        _flag.Rules!.Add(new RuleDto
        {
            Id = "rule-" + _flag.Rules.Count,
            Name = name,
            DispatchKey = dispatchKey,
            IncludedInExpt = includedInExpt,
            Conditions = [.. conditions],
            Variations = [.. slices],
        });
        return this;
    }

    /// <summary>Sets a fallthrough that serves one variation to everyone (rollout [0, 1]).</summary>
    public FlagBuilder Fallthrough(string variationId) => Fallthrough(null, false, TestFlags.Slice(variationId, 0, 1));

    public FlagBuilder Fallthrough(string? dispatchKey, bool includedInExpt, params RolloutVariationDto[] slices)
    {
        _flag.Fallthrough = new FallthroughDto { DispatchKey = dispatchKey, IncludedInExpt = includedInExpt, Variations = [.. slices] };
        return this;
    }

    public FlagBuilder ExptIncludeAllTargets(bool value = true)
    {
        _flag.ExptIncludeAllTargets = value;
        return this;
    }

    public FlagBuilder Archived()
    {
        _flag.IsArchived = true;
        return this;
    }

    public FlagDto Build() => _flag;
}

/// <summary>Builds a <see cref="SegmentDto"/>.</summary>
internal sealed class SegmentBuilder
{
    private readonly SegmentDto _segment;

    public SegmentBuilder(string id)
    {
        _segment = new SegmentDto { Id = id, Included = [], Excluded = [], Rules = [], UpdatedAt = 1_700_000_000_000 };
    }

    public SegmentBuilder Included(params string[] keys)
    {
        _segment.Included!.AddRange(keys);
        return this;
    }

    public SegmentBuilder Excluded(params string[] keys)
    {
        _segment.Excluded!.AddRange(keys);
        return this;
    }

    /// <summary>Adds a rule; the user is in the segment when all of a rule's conditions match.</summary>
    public SegmentBuilder Rule(params ConditionDto[] conditions)
    {
        _segment.Rules!.Add(new SegmentRuleDto { Name = "segment rule " + _segment.Rules.Count, Conditions = [.. conditions] });
        return this;
    }

    public SegmentBuilder Archived()
    {
        _segment.IsArchived = true;
        return this;
    }

    public SegmentDto Build() => _segment;
}
