using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>Builds a request's <see cref="FlagUser"/> from its claims with the configured mapping.</summary>
internal sealed class ClaimsUserFactory
{
    private readonly FeatureFlagUserOptions _options;
    private readonly KeyValuePair<string, string>[] _custom;

    public ClaimsUserFactory(FeatureFlagUserOptions options)
    {
        _options = options;
        _custom = [.. options.CustomClaims];
    }

    public FlagUser? Create(HttpContext context)
    {
        var principal = context.User;
        var key = Find(principal, _options.KeyClaim, "sub") ?? AnonymousKey(context);
        if (string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        var builder = FlagUser.Builder(key)
            .Name(Find(principal, _options.NameClaim, "name"))
            .Email(Find(principal, _options.EmailClaim, "email"))
            .Country(Find(principal, _options.CountryClaim, "country"));
        foreach (var (attribute, claim) in _custom)
        {
            if (principal?.FindFirst(claim)?.Value is { } value)
            {
                builder.Custom(attribute, value);
            }
        }

        return builder.Build();
    }

    private static string? Find(ClaimsPrincipal? principal, string claimType, string fallback)
    {
        if (principal is null)
        {
            return null;
        }

        var value = principal.FindFirst(claimType)?.Value;
        return string.IsNullOrWhiteSpace(value) ? principal.FindFirst(fallback)?.Value : value;
    }

    private string? AnonymousKey(HttpContext context) => _options.AnonymousKeySource switch
    {
        AnonymousKeySource.Cookie => context.Request.Cookies[_options.AnonymousKeyName],
        AnonymousKeySource.Header => context.Request.Headers[_options.AnonymousKeyName].ToString(),
        _ => null,
    };
}
