using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Keys a request with no authenticated identity. Every key is <c>anon:</c> + a value, so it cannot equal a signed-in
/// user's key; the cookie value is a random 128-bit value the SDK issued (any other value is replaced), a header value is
/// capped at <see cref="MaxHeaderLength"/> printable ASCII characters.
/// </summary>
internal sealed class AnonymousKeys(FeatureFlagUserOptions options)
{
    public const int MaxHeaderLength = 64;

    /// <summary>16 random bytes, base64url without padding.</summary>
    private const int CookieValueLength = 22;

    private readonly AnonymousKeySource _source = options.AnonymousKeySource;
    private readonly string _name = options.AnonymousKeyName;
    private readonly TimeSpan _lifetime = options.AnonymousCookieLifetime;
    private readonly string _noConsent = $"the visitor has not consented to tracking, so the '{options.AnonymousKeyName}' cookie is not issued";
    private readonly string _noHeader = $"it has no '{options.AnonymousKeyName}' header (FeatureFlags:User:AnonymousKeySource = Header)";
    private readonly string _badHeader = $"its '{options.AnonymousKeyName}' header is not one value of 1 to {MaxHeaderLength} printable ASCII characters";

    /// <summary>Returns the request's anonymous key (issuing the cookie when needed), or <see langword="null"/> and why not.</summary>
    public string? GetKey(HttpContext context, out string? noKeyReason)
    {
        noKeyReason = null;
        switch (_source)
        {
            case AnonymousKeySource.Cookie:
                var cookie = context.Request.Cookies[_name];
                if (IsIssuedValue(cookie))
                {
                    return FeatureFlagUserOptions.AnonymousKeyPrefix + cookie;
                }

                if (context.Features.Get<ITrackingConsentFeature>() is { CanTrack: false })
                {
                    noKeyReason = _noConsent;
                    return null;
                }

                var value = NewValue();
                context.Response.Cookies.Append(_name, value, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Lax,
                    Secure = context.Request.IsHttps,
                    Path = "/",
                    MaxAge = _lifetime,
                    IsEssential = false,
                });
                return FeatureFlagUserOptions.AnonymousKeyPrefix + value;

            case AnonymousKeySource.Header:
                var header = context.Request.Headers[_name];
                if (header.Count == 1 && IsHeaderValue(header[0]))
                {
                    return FeatureFlagUserOptions.AnonymousKeyPrefix + header[0];
                }

                noKeyReason = header.Count == 0 ? _noHeader : _badHeader;
                return null;

            default:
                noKeyReason = "it is anonymous and FeatureFlags:User:AnonymousKeySource is None";
                return null;
        }
    }

    internal static bool IsIssuedValue(string? value)
    {
        if (value is not { Length: CookieValueLength })
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsHeaderValue(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxHeaderLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static string NewValue()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }
}
