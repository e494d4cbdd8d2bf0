using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Builds the <see cref="FeatureFlagUserOptions"/> once, when the pipeline is built (host start): bound from
/// <c>FeatureFlags:User</c> of the container's <see cref="IConfiguration"/>, then the <c>ConfigureUsers</c> callbacks, then
/// validated; every failure names its full configuration key.
/// </summary>
/// <remarks>
/// The core package's <c>AddFeatureFlags</c> knows nothing of web users, so nothing registers these options eagerly;
/// reading them here keeps <c>AddFeatureFlags(builder.Configuration)</c> + <c>UseFeatureFlags()</c> enough for an app.
/// </remarks>
internal static class UserOptionsLoader
{
    public const string SectionPath = "FeatureFlags:User";

    private const string Prefix = SectionPath + ":";

    /// <summary>The longest cookie lifetime browsers keep (RFC 6265bis caps Max-Age at 400 days).</summary>
    private static readonly TimeSpan MaxCookieLifetime = TimeSpan.FromDays(400);

    // Derived from the type, as the core package derives its own keys: an option added later is a known key at once.
    private static readonly HashSet<string> Keys = new(
        typeof(FeatureFlagUserOptions).GetProperties().Select(static p => p.Name), StringComparer.OrdinalIgnoreCase);

    public static FeatureFlagUserOptions Load(IServiceProvider services)
    {
        var options = new FeatureFlagUserOptions();
        if (services.GetService<IConfiguration>() is { } configuration)
        {
            Bind(configuration.GetSection(SectionPath), options);
        }

        OptionsLoading.RunConfigureCallbacks(services, options);
        OptionsLoading.ThrowIfAny<FeatureFlagUserOptions>(Validate(options));
        return options;
    }

    private static void Bind(IConfigurationSection section, FeatureFlagUserOptions options)
    {
        OptionsLoading.RejectUnknownKeys<FeatureFlagUserOptions>(section, Keys.Contains, "configuration.md");

        try
        {
            section.Bind(options, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // A value that does not convert (e.g. "AnonymousKeySource": "Query"): the binder's message names the key.
            throw new OptionsValidationException(Options.DefaultName, typeof(FeatureFlagUserOptions), [ex.Message]);
        }
    }

    private static List<string> Validate(FeatureFlagUserOptions options)
    {
        var failures = new List<string>();
        Claim(options.KeyClaim, nameof(options.KeyClaim));
        Claim(options.NameClaim, nameof(options.NameClaim));
        Claim(options.EmailClaim, nameof(options.EmailClaim));
        Claim(options.CountryClaim, nameof(options.CountryClaim));
        foreach (var (attribute, claim) in options.CustomClaims)
        {
            if (string.IsNullOrWhiteSpace(attribute) || string.IsNullOrWhiteSpace(claim))
            {
                failures.Add($"{Prefix}{nameof(options.CustomClaims)}:{attribute} must name a claim.");
            }
            else if (attribute.Length > FlagUser.MaxAttributeNameLength)
            {
                failures.Add($"{Prefix}{nameof(options.CustomClaims)} has an attribute name of {attribute.Length} characters; at most {FlagUser.MaxAttributeNameLength} (FlagUser.MaxAttributeNameLength).");
            }
        }

        if (options.CustomClaims.Count > FlagUser.MaxCustomAttributes)
        {
            failures.Add($"{Prefix}{nameof(options.CustomClaims)} maps {options.CustomClaims.Count} attributes; at most {FlagUser.MaxCustomAttributes} (FlagUser.MaxCustomAttributes).");
        }

        if (!Enum.IsDefined(options.AnonymousKeySource))
        {
            failures.Add($"{Prefix}{nameof(options.AnonymousKeySource)} must be None, Cookie or Header (was {options.AnonymousKeySource}).");
        }
        else if (options.AnonymousKeySource != AnonymousKeySource.None && !IsToken(options.AnonymousKeyName))
        {
            failures.Add($"{Prefix}{nameof(options.AnonymousKeyName)} must be a cookie or header name (letters, digits and !#$%&'*+-.^_`|~) when {Prefix}{nameof(options.AnonymousKeySource)} is {options.AnonymousKeySource}.");
        }

        if (options.AnonymousCookieLifetime <= TimeSpan.Zero || options.AnonymousCookieLifetime > MaxCookieLifetime)
        {
            failures.Add($"{Prefix}{nameof(options.AnonymousCookieLifetime)} must be greater than zero and at most 400 days (was {options.AnonymousCookieLifetime}).");
        }

        return failures;

        void Claim(string? value, string name)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"{Prefix}{name} must not be empty.");
            }
        }
    }

    /// <summary>An RFC 9110 token: what both a cookie name and a header name must be.</summary>
    private static bool IsToken(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !"!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
