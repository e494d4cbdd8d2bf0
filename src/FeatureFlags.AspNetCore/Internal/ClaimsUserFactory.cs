using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Builds a request's <see cref="FlagUser"/> from its claims with the configured mapping, in one pass over the claims
/// (each <see cref="ClaimsPrincipal.FindFirst(string)"/> would enumerate, and allocate, again). Claim types compare
/// case-insensitively and the first claim of a type wins, as <c>FindFirst</c> does. No key claim: no user (anonymous
/// visitors are keyed by <see cref="AnonymousKeys"/>, never from claims or client input here).
/// </summary>
internal sealed class ClaimsUserFactory
{
    private const int Key = 0;
    private const int Name = 1;
    private const int Email = 2;
    private const int Country = 3;

    private readonly string[] _primary;
    private readonly string[] _fallback = ["sub", "name", "email", "country"];
    private readonly KeyValuePair<string, string>[] _custom;

    public ClaimsUserFactory(FeatureFlagUserOptions options)
    {
        _primary = [options.KeyClaim, options.NameClaim, options.EmailClaim, options.CountryClaim];
        _custom = [.. options.CustomClaims];
    }

    public FlagUser? Create(HttpContext context)
    {
        var primary = new string?[4];
        string?[]? custom = _custom.Length == 0 ? null : new string?[_custom.Length];
        string? keyFallback = null, nameFallback = null, emailFallback = null, countryFallback = null;

        if (context.User is { } principal)
        {
            foreach (var identity in principal.Identities)
            {
                foreach (var claim in identity.Claims)
                {
                    Match(claim, primary, custom, ref keyFallback, ref nameFallback, ref emailFallback, ref countryFallback);
                }
            }
        }

        var key = NonBlank(primary[Key]) ?? NonBlank(keyFallback);
        if (key is null)
        {
            return null;
        }

        var builder = FlagUser.Builder(key)
            .Name(NonBlank(primary[Name]) ?? nameFallback)
            .Email(NonBlank(primary[Email]) ?? emailFallback)
            .Country(NonBlank(primary[Country]) ?? countryFallback);
        if (custom is not null)
        {
            for (var i = 0; i < custom.Length; i++)
            {
                if (custom[i] is { } value)
                {
                    builder.Custom(_custom[i].Key, value);
                }
            }
        }

        return builder.Build();
    }

    private void Match(Claim claim, string?[] primary, string?[]? custom,
        ref string? keyFallback, ref string? nameFallback, ref string? emailFallback, ref string? countryFallback)
    {
        var type = claim.Type;
        for (var i = 0; i < _primary.Length; i++)
        {
            if (primary[i] is null && Is(type, _primary[i]))
            {
                primary[i] = claim.Value;
            }
        }

        if (Is(type, _fallback[Key]))
        {
            keyFallback ??= claim.Value;
        }
        else if (Is(type, _fallback[Name]))
        {
            nameFallback ??= claim.Value;
        }
        else if (Is(type, _fallback[Email]))
        {
            emailFallback ??= claim.Value;
        }
        else if (Is(type, _fallback[Country]))
        {
            countryFallback ??= claim.Value;
        }

        if (custom is not null)
        {
            for (var i = 0; i < custom.Length; i++)
            {
                if (custom[i] is null && Is(type, _custom[i].Value))
                {
                    custom[i] = claim.Value;
                }
            }
        }
    }

    private static bool Is(string type, string expected) => string.Equals(type, expected, StringComparison.OrdinalIgnoreCase);

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
