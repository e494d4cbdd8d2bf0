using FeatureFlags.AspNetCore.Internal;
using Microsoft.AspNetCore.Mvc.Filters;

namespace FeatureFlags.AspNetCore;

/// <summary>
/// Gates a controller, an action or a Razor Page model behind feature flags: when the gate is closed the request is
/// rejected (404 by default) before the endpoint runs. Minimal APIs and route groups use <c>RequireFeature</c>, which
/// adds this same attribute as endpoint metadata.
/// </summary>
/// <remarks>
/// <para>
/// <c>app.UseFeatureFlags()</c> reads every gate from the selected endpoint's metadata and enforces them, with one code
/// path for MVC, Razor Pages and minimal APIs. Several gates on one endpoint (a controller's and an action's) must all
/// pass. Flags are evaluated for the request's user against the request's one store snapshot.
/// </para>
/// <para>
/// Gates fail closed: on a controller, action or page model this attribute also adds an MVC resource filter, and
/// <c>RequireFeature</c> wraps the endpoint, so a gated endpoint never runs for a request whose gates the middleware did
/// not evaluate (<c>UseFeatureFlags()</c> forgotten, or placed before <c>UseRouting()</c>). Such a request gets a 500 and
/// an error naming the fix is logged once per endpoint (EventId 4002).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// [FeatureGate("beta")]                                   // on when the boolean flag "beta" is true
/// [FeatureGate("checkout-ui", Variation = "v2")]          // on when the flag serves "v2"
/// [FeatureGate("legacy", Negate = true, RedirectTo = "/new")]
/// [FeatureGate(FeatureGateRequirement.Any, "a", "b")]
/// [FeatureGate("beta", Client = "eu")]                    // the flag of the named client "eu"
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class FeatureGateAttribute : Attribute, IFilterFactory, IOrderedFilter
{
    /// <summary>Creates a gate that is open when every flag is on.</summary>
    /// <param name="flags">The flag keys; at least one.</param>
    /// <exception cref="ArgumentException">No flag, or a blank one.</exception>
    public FeatureGateAttribute(params string[] flags)
        : this(FeatureGateRequirement.All, flags)
    {
    }

    /// <summary>Creates a gate over several flags that must all, or any, be on.</summary>
    /// <param name="requirementType">Whether all flags or any flag must be on.</param>
    /// <param name="flags">The flag keys; at least one.</param>
    /// <exception cref="ArgumentException">No flag, or a blank one.</exception>
    public FeatureGateAttribute(FeatureGateRequirement requirementType, params string[] flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        if (flags.Length == 0)
        {
            throw new ArgumentException("A feature gate needs at least one flag.", nameof(flags));
        }

        foreach (var flag in flags)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(flag, nameof(flags));
        }

        Flags = flags;
        RequirementType = requirementType;
    }

    /// <summary>Gets the flag keys the gate evaluates.</summary>
    public IReadOnlyList<string> Flags { get; }

    /// <summary>Gets whether all flags (the default) or any flag must be on.</summary>
    public FeatureGateRequirement RequirementType { get; }

    /// <summary>Gets or sets whether the gate is inverted: open when the flags are <em>not</em> on.</summary>
    public bool Negate { get; set; }

    /// <summary>
    /// Gets or sets the variation value a flag must serve for the gate to count it as on (for string, number or JSON
    /// flags, compared ordinally with the raw value). <see langword="null"/> (the default): the flag must be a boolean
    /// flag serving <see langword="true"/>.
    /// </summary>
    public string? Variation { get; set; }

    /// <summary>
    /// Gets or sets the named client whose flags the gate evaluates (<c>AddFeatureFlags("eu", ...)</c>), for the request's
    /// user; <see langword="null"/> (the default): the default client.
    /// </summary>
    public string? Client { get; set; }

    /// <summary>Gets or sets the status code to reject with, overriding the global choice; 0 (the default) = not set.</summary>
    public int StatusCode { get; set; }

    /// <summary>Gets or sets a URL to redirect rejected requests to, overriding the global choice and <see cref="StatusCode"/>.</summary>
    public string? RedirectTo { get; set; }

    /// <summary>Runs first among resource filters, before model binding and the action or page handler.</summary>
    int IOrderedFilter.Order => int.MinValue;

    /// <summary>The fail-closed filter is cached per action or page, so its once-per-endpoint log state lives there.</summary>
    bool IFilterFactory.IsReusable => true;

    /// <summary>Creates the resource filter that refuses (500) a request whose gates <c>UseFeatureFlags()</c> did not evaluate.</summary>
    /// <param name="serviceProvider">The request services (unused).</param>
    /// <returns>The filter; the middleware enforces the gate itself.</returns>
    IFilterMetadata IFilterFactory.CreateInstance(IServiceProvider serviceProvider) => new FeatureGateGuard();
}

/// <summary>How a gate over several flags combines them.</summary>
public enum FeatureGateRequirement
{
    /// <summary>Every flag must be on.</summary>
    All,

    /// <summary>At least one flag must be on.</summary>
    Any,
}
