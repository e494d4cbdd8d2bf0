using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// Binds <see cref="FeatureFlagsOptions"/> from a configuration section and fails on an unknown key, naming it with its
/// full path (<c>FeatureFlags:Streaming:Url</c>), so a typo in appsettings.json stops the app at startup.
/// <c>FeatureFlags:User</c> belongs to FeatureFlags.AspNetCore and <c>FeatureFlags:Redis</c> to FeatureFlags.Redis, which
/// bind and validate them; they are skipped here.
/// </summary>
internal static class ConfigurationKeys
{
    private static readonly HashSet<string> OptionKeys = PropertyNames(typeof(FeatureFlagsOptions).GetProperties());

    // The groups whose own keys are checked too (Overrides takes any flag key).
    private static readonly Dictionary<string, HashSet<string>> GroupKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(FeatureFlagsOptions.Streaming)] = PropertyNames(typeof(StreamingOptions).GetProperties()),
        [nameof(FeatureFlagsOptions.Polling)] = PropertyNames(typeof(PollingOptions).GetProperties()),
        [nameof(FeatureFlagsOptions.Events)] = PropertyNames(typeof(InsightEventsOptions).GetProperties()),
        [nameof(FeatureFlagsOptions.Evaluation)] = PropertyNames(typeof(EvaluationOptions).GetProperties()),
    };

    /// <summary>
    /// Sections under <c>FeatureFlags</c> that another package binds (FeatureFlags.AspNetCore: the web user mapping;
    /// FeatureFlags.Redis: the shared store).
    /// </summary>
    private static readonly HashSet<string> PackageSections = new(["User", "Redis"], StringComparer.OrdinalIgnoreCase);

    public static void Bind(IConfiguration section, FeatureFlagsOptions options, string? name)
    {
        var failures = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (!OptionKeys.Contains(child.Key) && !IsPackageSection(child.Key))
            {
                failures.Add(Unknown(child, "FeatureFlags"));
            }
            else if (GroupKeys.TryGetValue(child.Key, out var keys))
            {
                foreach (var groupChild in child.GetChildren())
                {
                    if (!keys.Contains(groupChild.Key))
                    {
                        failures.Add(Unknown(groupChild, $"FeatureFlags:{child.Key}"));
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
            new WithoutPackageSections(section).Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // A value that does not convert (e.g. "StartWaitTime": "soon"): the binder's message names the key.
            throw new OptionsValidationException(name ?? Options.DefaultName, typeof(FeatureFlagsOptions), [ex.Message]);
        }
    }

    private static string Unknown(IConfigurationSection key, string settings)
        => $"{key.Path} is not a {settings} setting; check its spelling (see docs/configuration.md).";

    private static bool IsPackageSection(string key) => PackageSections.Contains(key);

    private static HashSet<string> PropertyNames(System.Reflection.PropertyInfo[] properties)
        => new(properties.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);

    /// <summary>The section as the binder sees it: without the package sections, which are not <see cref="FeatureFlagsOptions"/> properties.</summary>
    private sealed class WithoutPackageSections(IConfiguration inner) : IConfiguration
    {
        public string? this[string key]
        {
            get => inner[key];
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren() => inner.GetChildren().Where(static c => !IsPackageSection(c.Key));

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => inner.GetSection(key);
    }
}
