using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore;

/// <summary>How requests rejected by a feature gate are answered, for gates that do not say so themselves.</summary>
/// <remarks>
/// Precedence: a gate's own <see cref="FeatureGateAttribute.RedirectTo"/>, then its <see cref="FeatureGateAttribute.StatusCode"/>,
/// then <see cref="OnRejected"/>, then <see cref="RedirectTo"/>, then <see cref="RejectionStatusCode"/>. Read per request
/// from <c>IOptions</c>; set it at startup with <c>AddFeatureFlags(...).ConfigureGates(...)</c>.
/// </remarks>
/// <example>
/// <code>
/// builder.Services.AddFeatureFlags(builder.Configuration).ConfigureGates(o =>
///     o.OnRejected = (context, rejection) =>
///     {
///         context.Response.StatusCode = StatusCodes.Status403Forbidden;
///         return ValueTask.CompletedTask;
///     });
/// </code>
/// </example>
public sealed class FeatureGateOptions
{
    /// <summary>Gets or sets the status code of a rejected request. Default 404 (the feature does not exist for this user).</summary>
    public int RejectionStatusCode { get; set; } = StatusCodes.Status404NotFound;

    /// <summary>Gets or sets a URL to redirect rejected requests to instead; <see langword="null"/> (the default) = no redirect.</summary>
    public string? RedirectTo { get; set; }

    /// <summary>
    /// Gets or sets a handler that writes the response of a rejected request; it runs instead of the status code or the
    /// redirect, and the endpoint does not run. <see langword="null"/> by default.
    /// </summary>
    public Func<HttpContext, FeatureGateRejection, ValueTask>? OnRejected { get; set; }
}

/// <summary>Why a request was rejected: the gate that was closed.</summary>
public sealed class FeatureGateRejection
{
    internal FeatureGateRejection(FeatureGateAttribute gate) => Gate = gate;

    /// <summary>Gets the closed gate.</summary>
    public FeatureGateAttribute Gate { get; }
}
