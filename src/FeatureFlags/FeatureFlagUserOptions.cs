namespace FeatureFlags;

/// <summary>
/// How a web request's <see cref="FlagUser"/> is built from the claims of its principal (the <c>FeatureFlags:User</c>
/// configuration section).
/// </summary>
/// <remarks>
/// Claim types are plain strings, so the core package stays host-agnostic. Each built-in attribute falls back to the
/// matching short JWT claim (<c>sub</c>, <c>name</c>, <c>email</c>, <c>country</c>) when the configured claim is absent.
/// Read once at startup; the user is then built once per request by <c>app.UseFeatureFlags()</c>.
/// </remarks>
/// <example>
/// <code>
/// "FeatureFlags": {
///   "User": {
///     "KeyClaim": "oid",
///     "CustomClaims": { "plan": "subscription_plan", "tenant": "tid" },
///     "AnonymousKeySource": "Cookie",
///     "AnonymousKeyName": "visitor-id"
///   }
/// }
/// </code>
/// </example>
public sealed class FeatureFlagUserOptions
{
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
    /// Gets or sets where the key of a request without a key claim (an anonymous visitor) comes from. Default
    /// <see cref="AnonymousKeySource.None"/>: such a request has no user, and every flag returns the caller's default.
    /// </summary>
    public AnonymousKeySource AnonymousKeySource { get; set; }

    /// <summary>Gets or sets the cookie or header name that <see cref="AnonymousKeySource"/> reads. Default <c>ff-anonymous-id</c>.</summary>
    public string AnonymousKeyName { get; set; } = "ff-anonymous-id";
}

/// <summary>Where an anonymous visitor's user key comes from.</summary>
public enum AnonymousKeySource
{
    /// <summary>Anonymous requests have no user: flags return the caller's default with the reason <c>user not specified</c>.</summary>
    None,

    /// <summary>The key is read from the cookie named <see cref="FeatureFlagUserOptions.AnonymousKeyName"/> (the app sets it).</summary>
    Cookie,

    /// <summary>The key is read from the request header named <see cref="FeatureFlagUserOptions.AnonymousKeyName"/>.</summary>
    Header,
}
