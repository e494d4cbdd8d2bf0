namespace FeatureFlags.AspNetCore;

/// <summary>How the OFREP endpoints mapped by <c>app.MapOfrep(...)</c> evaluate and whom they answer.</summary>
/// <remarks>
/// The endpoints return the value of any flag for any evaluation context the caller sends: whoever can reach them can
/// read every flag (server-only ones included) for any user key. Protect them: name an authorization policy in
/// <see cref="AuthorizationPolicy"/> (or chain <c>RequireAuthorization(...)</c>), and list the flags a front end may see
/// in <see cref="Flags"/>. Set once, when the endpoints are mapped; the list is copied then.
/// </remarks>
/// <example>
/// <code>
/// app.MapOfrep("/", o =>
/// {
///     o.AuthorizationPolicy = "ofrep";
///     o.Flags = ["checkout-ui", "banner"];
/// });
/// </code>
/// </example>
public sealed class OfrepOptions
{
    /// <summary>The default for <see cref="MaxRequestBodySize"/>: 64 KiB.</summary>
    public const int DefaultMaxRequestBodySize = 64 * 1024;

    /// <summary>
    /// Gets or sets the named client whose flags are evaluated (<c>AddFeatureFlags("eu", ...)</c>); <see langword="null"/>
    /// (the default) for the default client. Mapping fails at startup when the client is not registered.
    /// </summary>
    public string? Client { get; set; }

    /// <summary>
    /// Gets or sets the ASP.NET Core authorization policy the endpoints require (<c>RequireAuthorization(policy)</c>);
    /// <see langword="null"/> (the default) adds none, and the endpoints answer anyone who can reach them unless
    /// <c>RequireAuthorization</c> is chained on the returned builder. A refused caller gets 401 or 403 from the
    /// authorization middleware, as the OFREP document describes.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Gets or sets the keys of the flags the endpoints evaluate (ordinal); empty (the default) for every flag. An unlisted
    /// flag is answered as one that does not exist (404 <c>FLAG_NOT_FOUND</c>) and is left out of the bulk response.
    /// </summary>
    public IList<string> Flags { get; set; } = [];

    /// <summary>
    /// Gets or sets the largest request body read, in bytes (default <see cref="DefaultMaxRequestBodySize"/>, 64 KiB). A
    /// larger body is refused with 400 <c>INVALID_CONTEXT</c> without being read past the limit.
    /// </summary>
    public int MaxRequestBodySize { get; set; } = DefaultMaxRequestBodySize;
}
