namespace FeatureFlags.AspNetCore;

/// <summary>
/// How <c>app.UseFeatureFlags()</c> builds a web request's <see cref="FlagUser"/>: which claims of a signed-in user hold
/// the key and attributes, and how an anonymous visitor is keyed (the <c>FeatureFlags:User</c> configuration section).
/// </summary>
/// <remarks>
/// <para>
/// Bound from <c>FeatureFlags:User</c> of the app's configuration (the <c>IConfiguration</c> in the container), then
/// changed by any <c>AddFeatureFlags(...).ConfigureUsers(...)</c> callbacks, and validated when the app starts: an unknown
/// key or a bad value fails start-up with a message naming the key (<c>FeatureFlags:User:AnonymousKeyName</c>). Read
/// once; later configuration changes are not picked up.
/// </para>
/// <para>
/// Each built-in attribute falls back to the matching short JWT claim (<c>sub</c>, <c>name</c>, <c>email</c>,
/// <c>country</c>) when the configured claim is absent. A signed-in user without a key claim has no user (flags return
/// the caller's default) and one warning names the claim; an anonymous key is never used for a signed-in user.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// "FeatureFlags": {
///   "User": {
///     "KeyClaim": "oid",
///     "CustomClaims": { "plan": "subscription_plan", "tenant": "tid" },
///     "AnonymousKeySource": "Cookie",
///     "AnonymousKeyName": "visitor-id",
///     "AnonymousCookieLifetime": "180.00:00:00"
///   }
/// }
/// </code>
/// </example>
public sealed class FeatureFlagUserOptions
{
    /// <summary>The prefix of every anonymous user key (<c>anon:</c>), so it cannot equal a signed-in user's key.</summary>
    public const string AnonymousKeyPrefix = "anon:";

    /// <summary>Gets or sets the claim that holds the user's key. Default <c>ClaimTypes.NameIdentifier</c> (then <c>sub</c>).</summary>
    public string KeyClaim { get; set; } = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

    /// <summary>Gets or sets the claim that holds the user's name. Default <c>ClaimTypes.Name</c> (then <c>name</c>).</summary>
    public string NameClaim { get; set; } = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

    /// <summary>Gets or sets the claim that holds the user's email. Default <c>ClaimTypes.Email</c> (then <c>email</c>).</summary>
    public string EmailClaim { get; set; } = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";

    /// <summary>Gets or sets the claim that holds the user's country. Default <c>ClaimTypes.Country</c> (then <c>country</c>).</summary>
    public string CountryClaim { get; set; } = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/country";

    /// <summary>
    /// Gets the custom attributes to read from claims: attribute name (as targeting rules name it) to claim type.
    /// A claim the principal does not have is left out. Empty by default.
    /// </summary>
    public Dictionary<string, string> CustomClaims { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets where the key of a request with no authenticated identity (an anonymous visitor) comes from. Default
    /// <see cref="AnonymousKeySource.Cookie"/>: the SDK issues a random key in a first-party cookie. Set
    /// <see cref="AnonymousKeySource.None"/> to issue nothing (for example until the visitor consents).
    /// </summary>
    public AnonymousKeySource AnonymousKeySource { get; set; } = AnonymousKeySource.Cookie;

    /// <summary>Gets or sets the name of the cookie or header that <see cref="AnonymousKeySource"/> uses. Default <c>ff-anonymous-id</c>.</summary>
    public string AnonymousKeyName { get; set; } = "ff-anonymous-id";

    /// <summary>
    /// Gets or sets how long the anonymous-key cookie lives in the browser (its <c>Max-Age</c>). Default 365 days; at most
    /// 400 days (browsers cap cookies there).
    /// </summary>
    public TimeSpan AnonymousCookieLifetime { get; set; } = TimeSpan.FromDays(365);
}

/// <summary>Where an anonymous visitor's user key comes from.</summary>
public enum AnonymousKeySource
{
    /// <summary>Anonymous requests have no user: flags return the caller's default with the reason <c>user not specified</c>.</summary>
    None,

    /// <summary>
    /// The SDK issues a random 128-bit key in the cookie named <see cref="FeatureFlagUserOptions.AnonymousKeyName"/>
    /// (HttpOnly, SameSite=Lax, Secure on HTTPS, not essential: withheld by the cookie policy until the visitor consents
    /// when consent is required) and reads it back; a cookie value it did not issue is replaced. The default.
    /// </summary>
    Cookie,

    /// <summary>
    /// The key is read from the request header named <see cref="FeatureFlagUserOptions.AnonymousKeyName"/> (at most 64
    /// characters, printable ASCII), for clients that keep their own device id. Nothing is issued.
    /// </summary>
    Header,
}
