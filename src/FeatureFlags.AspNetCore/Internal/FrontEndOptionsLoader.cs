using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Builds <see cref="FeatureFlagClientSideOptions"/> and <see cref="FeatureFlagPageViewOptions"/> once, when the pipeline
/// is built (host start), as <see cref="UserOptionsLoader"/> does for the user mapping: bound from their section of the
/// container's <see cref="IConfiguration"/> (by hand: the lists are read key by key, so an unknown key is named with its
/// full path), then the app's <c>Configure*</c> callbacks, then validated.
/// </summary>
internal static class FrontEndOptionsLoader
{
    public const string ClientSidePath = "FeatureFlags:ClientSide";
    public const string PageViewsPath = "FeatureFlags:PageViews";

    public static FeatureFlagClientSideOptions LoadClientSide(IServiceProvider services)
    {
        var options = new FeatureFlagClientSideOptions();
        if (services.GetService<IConfiguration>()?.GetSection(ClientSidePath) is { } section && section.GetChildren().Any())
        {
            Check<FeatureFlagClientSideOptions>(section, [nameof(FeatureFlagClientSideOptions.Flags)]);
            options.Flags = [.. Values(section.GetSection(nameof(FeatureFlagClientSideOptions.Flags)))];
        }

        Configure(services, options);
        var failures = new List<string>();
        if (options.Flags is null)
        {
            failures.Add($"{ClientSidePath}:{nameof(FeatureFlagClientSideOptions.Flags)} must not be null.");
        }
        else
        {
            for (var i = 0; i < options.Flags.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(options.Flags[i]))
                {
                    failures.Add($"{ClientSidePath}:{nameof(FeatureFlagClientSideOptions.Flags)}:{i} is blank; list flag keys.");
                }
            }
        }

        Throw<FeatureFlagClientSideOptions>(failures);
        return options;
    }

    public static FeatureFlagPageViewOptions LoadPageViews(IServiceProvider services)
    {
        var options = new FeatureFlagPageViewOptions();
        if (services.GetService<IConfiguration>()?.GetSection(PageViewsPath) is { } section && section.GetChildren().Any())
        {
            Check<FeatureFlagPageViewOptions>(section, [nameof(FeatureFlagPageViewOptions.Pages), nameof(FeatureFlagPageViewOptions.Client)]);
            foreach (var page in section.GetSection(nameof(FeatureFlagPageViewOptions.Pages)).GetChildren())
            {
                options.Pages[page.Key] = page.Value is { } single ? [single] : [.. Values(page)];
            }

            options.Client = section[nameof(FeatureFlagPageViewOptions.Client)];
        }

        Configure(services, options);
        var failures = new List<string>();
        var pages = $"{PageViewsPath}:{nameof(FeatureFlagPageViewOptions.Pages)}";
        foreach (var (eventName, patterns) in options.Pages)
        {
            if (string.IsNullOrWhiteSpace(eventName) || eventName.Length > FlagUser.MaxKeyLength)
            {
                failures.Add($"{pages} has an event name that is blank or longer than {FlagUser.MaxKeyLength} characters ('{eventName}').");
            }

            if (patterns is not { Count: > 0 })
            {
                failures.Add($"{pages}:{eventName} lists no page; list paths such as \"/checkout\".");
                continue;
            }

            for (var i = 0; i < patterns.Count; i++)
            {
                if (patterns[i] is not ['/', ..])
                {
                    failures.Add($"{pages}:{eventName}:{i} ('{patterns[i]}') must be a path starting with '/' (\"/checkout\", \"/products/*\", \"/products/{{id}}\").");
                }
            }
        }

        if (options.Client is { } client && string.IsNullOrWhiteSpace(client))
        {
            failures.Add($"{PageViewsPath}:{nameof(FeatureFlagPageViewOptions.Client)} is blank; name a client or leave it out.");
        }

        Throw<FeatureFlagPageViewOptions>(failures);
        return options;
    }

    private static IEnumerable<string> Values(IConfigurationSection list)
        => list.GetChildren().Select(static c => c.Value ?? string.Empty);

    private static void Check<T>(IConfigurationSection section, string[] keys)
    {
        var unknown = section.GetChildren()
            .Where(c => !keys.Contains(c.Key, StringComparer.OrdinalIgnoreCase))
            .Select(c => $"{c.Path} is not a {section.Path} setting; check its spelling (see docs/aspnetcore.md).")
            .ToList();
        Throw<T>(unknown);
    }

    private static void Configure<T>(IServiceProvider services, T options)
        where T : class
    {
        foreach (var setup in services.GetServices<IConfigureOptions<T>>())
        {
            if (setup is IConfigureNamedOptions<T> named)
            {
                named.Configure(Options.DefaultName, options);
            }
            else
            {
                setup.Configure(options);
            }
        }
    }

    private static void Throw<T>(List<string> failures)
    {
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), failures);
        }
    }
}
