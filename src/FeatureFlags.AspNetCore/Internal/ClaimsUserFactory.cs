using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Builds a request's <see cref="FlagUser"/> from its claims with the configured mapping, in one pass over the claims
/// (each <see cref="ClaimsPrincipal.FindFirst(string)"/> would enumerate, and allocate, again). Claim types compare
/// case-insensitively and the first claim of a type wins, as <c>FindFirst</c> does. No key claim: no user (anonymous
/// visitors are keyed by <see cref="AnonymousKeys"/>, never from claims or client input here).
/// </summary>
/// <remarks>
/// The <see cref="FlagUser"/> length limits apply without throwing: a key claim longer than
/// <see cref="FlagUser.MaxKeyLength"/> gives no user (<c>keyTooLong</c>), and a name, email, country or custom claim
/// longer than <see cref="FlagUser.MaxValueLength"/> is left out, as if the claim were absent. The configured custom
/// attribute names and their number are checked at startup (<see cref="UserOptionsLoader"/>).
/// </remarks>
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

    public FlagUser? Create(HttpContext context) => Create(context, out _);

    public FlagUser? Create(HttpContext context, out bool keyTooLong)
    {
        keyTooLong = false;
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

        if (key.Length > FlagUser.MaxKeyLength)
        {
            keyTooLong = true;
            return null;
        }

        var builder = FlagUser.Builder(key)
            .Name(Fit(NonBlank(primary[Name]) ?? nameFallback))
            .Email(Fit(NonBlank(primary[Email]) ?? emailFallback))
            .Country(Fit(NonBlank(primary[Country]) ?? countryFallback));
        if (custom is not null)
        {
            for (var i = 0; i < custom.Length; i++)
            {
                if (Fit(custom[i]) is { } value)
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

    /// <summary>The value if it is within <see cref="FlagUser.MaxValueLength"/>, else null (the attribute is left out).</summary>
    private static string? Fit(string? value) => value is { Length: > FlagUser.MaxValueLength } ? null : value;
}
