using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>The request's scoped flags of a named client; names the fix when the client is not registered.</summary>
    public static IFeatureFlags FlagsOf(IServiceProvider requestServices, string client)
        => requestServices.GetKeyedService<IFeatureFlags>(client)
            ?? throw new InvalidOperationException(
                $"A feature gate or <feature> tag names the client '{client}', which is not registered: call services.AddFeatureFlags(\"{client}\", ...).");

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
