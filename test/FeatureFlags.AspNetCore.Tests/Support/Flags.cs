using FeatureFlags.Model.Internal;

namespace FeatureFlags.AspNetCore.Tests.Support;

/// <summary>Builds wire flags as the FeatBit server sends them, for loading into the app's real store.</summary>
internal static class Flags
{
    public const long Version = 1_700_000_000_000;

    /// <summary>A boolean flag serving <paramref name="on"/> to everyone.</summary>
    public static FlagDto Bool(string key, bool on, long updatedAt = Version)
        => Serving(key, "boolean", on ? "true" : "false", updatedAt, "true", "false");

    /// <summary>A boolean flag serving <see langword="true"/> to the users with these keys (individual targets), else false.</summary>
    public static FlagDto BoolFor(string key, params string[] userKeys)
    {
        var flag = Bool(key, false);
        flag.TargetUsers!.Add(new TargetUserDto { KeyIds = [.. userKeys], VariationId = "v0" });
        return flag;
    }

    /// <summary>A string flag serving <paramref name="value"/> to everyone.</summary>
    public static FlagDto String(string key, string value, long updatedAt = Version)
        => Serving(key, "string", value, updatedAt, value, "other-" + value);

    /// <summary>A string flag serving "hit" when <paramref name="attribute"/> equals <paramref name="value"/>, else "miss".</summary>
    public static FlagDto Rule(string key, string attribute, string value)
    {
        var flag = Serving(key, "string", "miss", Version, "hit", "miss");
        flag.Rules!.Add(new RuleDto
        {
            Id = "rule-1",
            Name = "rule",
            Conditions = [new ConditionDto { Property = attribute, Op = "Equal", Value = value }],
            Variations = [new RolloutVariationDto { Id = "v0", Rollout = [0, 1], ExptRollout = 1 }],
        });
        return flag;
    }

    private static FlagDto Serving(string key, string type, string served, long updatedAt, params string[] values)
    {
        var variations = values.Select((v, i) => new VariationDto { Id = "v" + i, Value = v }).ToList();
        var servedId = variations.First(v => v.Value == served).Id;
        return new FlagDto
        {
            Id = "id-" + key,
            Key = key,
            VariationType = type,
            Variations = variations,
            TargetUsers = [],
            Rules = [],
            IsEnabled = true,
            Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = servedId, Rollout = [0, 1], ExptRollout = 1 }] },
            UpdatedAt = updatedAt,
        };
    }
}
