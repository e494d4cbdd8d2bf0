using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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

    private static readonly HashSet<string> ClientSideKeys = new([nameof(FeatureFlagClientSideOptions.Flags)], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> PageViewKeys =
        new([nameof(FeatureFlagPageViewOptions.Pages), nameof(FeatureFlagPageViewOptions.Client)], StringComparer.OrdinalIgnoreCase);

    public static FeatureFlagClientSideOptions LoadClientSide(IServiceProvider services)
    {
        var options = new FeatureFlagClientSideOptions();
        if (services.GetService<IConfiguration>()?.GetSection(ClientSidePath) is { } section && section.GetChildren().Any())
        {
            OptionsLoading.RejectUnknownKeys<FeatureFlagClientSideOptions>(section, ClientSideKeys.Contains, "aspnetcore.md");
            options.Flags = [.. Values(section.GetSection(nameof(FeatureFlagClientSideOptions.Flags)))];
        }

        OptionsLoading.RunConfigureCallbacks(services, options);
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

        OptionsLoading.ThrowIfAny<FeatureFlagClientSideOptions>(failures);
        return options;
    }

    public static FeatureFlagPageViewOptions LoadPageViews(IServiceProvider services)
    {
        var options = new FeatureFlagPageViewOptions();
        if (services.GetService<IConfiguration>()?.GetSection(PageViewsPath) is { } section && section.GetChildren().Any())
        {
            OptionsLoading.RejectUnknownKeys<FeatureFlagPageViewOptions>(section, PageViewKeys.Contains, "aspnetcore.md");
            foreach (var page in section.GetSection(nameof(FeatureFlagPageViewOptions.Pages)).GetChildren())
            {
                options.Pages[page.Key] = page.Value is { } single ? [single] : [.. Values(page)];
            }

            options.Client = section[nameof(FeatureFlagPageViewOptions.Client)];
        }

        OptionsLoading.RunConfigureCallbacks(services, options);
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

        OptionsLoading.ThrowIfAny<FeatureFlagPageViewOptions>(failures);
        return options;
    }

    private static IEnumerable<string> Values(IConfigurationSection list)
        => list.GetChildren().Select(static c => c.Value ?? string.Empty);
}
