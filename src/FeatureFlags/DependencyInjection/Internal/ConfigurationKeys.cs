using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        [nameof(FeatureFlagsOptions.Failover)] = PropertyNames(typeof(FailoverOptions).GetProperties()),
        [nameof(FeatureFlagsOptions.Events)] = PropertyNames(typeof(InsightEventsOptions).GetProperties()),
        [nameof(FeatureFlagsOptions.Evaluation)] = PropertyNames(typeof(EvaluationOptions).GetProperties()),
    };

    /// <summary>
    /// Sections under <c>FeatureFlags</c> that another package binds (FeatureFlags.AspNetCore: the web user mapping, the
    /// flags a page may bootstrap a browser with, server-side page views; FeatureFlags.Redis: the shared store).
    /// </summary>
    private static readonly HashSet<string> PackageSections = new(["User", "ClientSide", "PageViews", "Redis"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Binds and checks the keys.</summary>
    /// <param name="section">The options' section.</param>
    /// <param name="options">The options bound.</param>
    /// <param name="name">The options' name (for the exception).</param>
    /// <param name="namedClients">
    /// The sections of named clients (<c>FeatureFlags:Eu</c>), skipped when they are inside <paramref name="section"/>:
    /// they hold another client's options, not unknown keys of this one.
    /// </param>
    public static void Bind(IConfiguration section, FeatureFlagsOptions options, string? name, NamedClientSections? namedClients = null)
    {
        var failures = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (namedClients is not null && namedClients.Contains(child.Path))
            {
                continue;
            }

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
            new WithoutPackageSections(section, namedClients).Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
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

    /// <summary>The section as the binder sees it: without the package sections and named clients' sections, which are not <see cref="FeatureFlagsOptions"/> property.</summary>
    private sealed class WithoutPackageSections(IConfiguration inner, NamedClientSections? namedClients) : IConfiguration
    {
        public string? this[string key]
        {
            get => inner[key];
            set => inner[key] = value;
        }

        public IEnumerable<IConfigurationSection> GetChildren()
            => inner.GetChildren().Where(c => !IsPackageSection(c.Key) && namedClients?.Contains(c.Path) != true);

        public IChangeToken GetReloadToken() => inner.GetReloadToken();

        public IConfigurationSection GetSection(string key) => inner.GetSection(key);
    }
}

/// <summary>
/// The configuration paths of the app's named clients (<c>FeatureFlags:Eu</c>), one shared instance per service
/// collection, so the default client's <c>FeatureFlags</c> section may contain them.
/// </summary>
internal sealed class NamedClientSections
{
    private readonly HashSet<string> _paths = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    /// <summary>The instance registered in <paramref name="services"/>, added when there is none.</summary>
    public static NamedClientSections Of(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(NamedClientSections) && !descriptor.IsKeyedService
                && descriptor.ImplementationInstance is NamedClientSections existing)
            {
                return existing;
            }
        }

        var sections = new NamedClientSections();
        services.AddSingleton(sections);
        return sections;
    }

    public void Add(string path)
    {
        lock (_gate)
        {
            _paths.Add(path);
        }
    }

    public bool Contains(string path)
    {
        lock (_gate)
        {
            return _paths.Contains(path);
        }
    }
}
