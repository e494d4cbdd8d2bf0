using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// Binds <see cref="FeatureFlagsOptions"/> from a configuration section and fails on an unknown key, naming it with its
/// full path (<c>FeatureFlags:StreamingUrl</c>), so a typo in appsettings.json stops the app at startup.
/// </summary>
internal static class ConfigurationKeys
{
    private static readonly HashSet<string> OptionKeys = PropertyNames(typeof(FeatureFlagsOptions).GetProperties());

    private static readonly HashSet<string> UserKeys = PropertyNames(typeof(FeatureFlagUserOptions).GetProperties());

    public static void Bind(IConfiguration section, FeatureFlagsOptions options, string? name)
    {
        var failures = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (!OptionKeys.Contains(child.Key))
            {
                failures.Add(Unknown(child, "FeatureFlags"));
            }
            else if (string.Equals(child.Key, nameof(FeatureFlagsOptions.User), StringComparison.OrdinalIgnoreCase))
            {
                foreach (var userChild in child.GetChildren())
                {
                    if (!UserKeys.Contains(userChild.Key))
                    {
                        failures.Add(Unknown(userChild, "FeatureFlags:User"));
                    }
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name ?? Options.DefaultName, typeof(FeatureFlagsOptions), failures);
        }

        try
        {
            // The binder's own check stays on as a backstop for nested objects added later.
            section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // A value that does not convert (e.g. "StartWaitTime": "soon"): the binder's message names the key.
            throw new OptionsValidationException(name ?? Options.DefaultName, typeof(FeatureFlagsOptions), [ex.Message]);
        }
    }

    private static string Unknown(IConfigurationSection key, string settings)
        => $"{key.Path} is not a {settings} setting; check its spelling (see docs/configuration.md).";

    private static HashSet<string> PropertyNames(System.Reflection.PropertyInfo[] properties)
        => new(properties.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
}
