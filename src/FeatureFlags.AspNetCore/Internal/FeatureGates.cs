namespace FeatureFlags.AspNetCore.Internal;

/// <summary>The one gate rule, shared by the middleware and the tag helper.</summary>
internal static class FeatureGates
{
    public static bool IsOpen(IFeatureFlags flags, IReadOnlyList<string> keys, FeatureGateRequirement requirement, string? variation, bool negate)
    {
        var all = requirement == FeatureGateRequirement.All;
        var open = all;
        for (var i = 0; i < keys.Count; i++)
        {
            if (IsOn(flags, keys[i], variation) != all)
            {
                open = !all;
                break;
            }
        }

        return open != negate;
    }

    public static bool IsOpen(IFeatureFlags flags, FeatureGateAttribute gate)
        => IsOpen(flags, gate.Flags, gate.RequirementType, gate.Variation, gate.Negate);

    private static bool IsOn(IFeatureFlags flags, string key, string? variation)
    {
        if (variation is null)
        {
            return flags.IsEnabled(key);
        }

        var detail = flags.StringVariationDetail(key, string.Empty);
        return !detail.IsDefaultValue && string.Equals(detail.Value, variation, StringComparison.Ordinal);
    }
}
