using FeatureFlags.AspNetCore.Internal;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.AspNetCore.Razor.TagHelpers;

namespace FeatureFlags.AspNetCore;

/// <summary>
/// Renders its content only when a feature is on for the request's user: <c>&lt;feature name="beta"&gt;…&lt;/feature&gt;</c>.
/// The <c>feature</c> element itself is never rendered.
/// </summary>
/// <remarks>
/// Evaluates with the request's scoped <see cref="IFeatureFlags"/> (same user and snapshot as the gates and the rest
/// of the request). Enable it with <c>@addTagHelper *, FeatureFlags.AspNetCore</c> in <c>_ViewImports.cshtml</c>.
/// </remarks>
/// <example>
/// <code>
/// &lt;feature name="new-banner"&gt;&lt;p&gt;New!&lt;/p&gt;&lt;/feature&gt;
/// &lt;feature name="checkout-ui" variation="v2"&gt;…&lt;/feature&gt;
/// &lt;feature name="a, b" requirement="Any" negate="true"&gt;…&lt;/feature&gt;
/// &lt;feature name="beta" client="eu"&gt;…&lt;/feature&gt;   (the named client "eu")
/// </code>
/// </example>
/// <param name="flags">The request's feature flags.</param>
[HtmlTargetElement("feature")]
public sealed class FeatureTagHelper(IFeatureFlags flags) : TagHelper
{
    /// <summary>Gets or sets the flag key, or several comma-separated keys.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets whether several flags must all be on (the default) or any.</summary>
    public FeatureGateRequirement Requirement { get; set; }

    /// <summary>Gets or sets whether the content renders when the flags are <em>not</em> on.</summary>
    public bool Negate { get; set; }

    /// <summary>Gets or sets the variation value the flag must serve (for non-boolean flags); none = boolean <c>true</c>.</summary>
    public string? Variation { get; set; }

    /// <summary>
    /// Gets or sets the named client whose flags are evaluated (<c>AddFeatureFlags("eu", ...)</c>), for the request's user;
    /// none: the default client.
    /// </summary>
    public string? Client { get; set; }

    /// <summary>Gets or sets the view context (set by Razor): the request whose services hold a named client's flags.</summary>
    [ViewContext]
    [HtmlAttributeNotBound]
    public ViewContext? ViewContext { get; set; }

    /// <inheritdoc />
    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.TagName = null;
        var keys = string.IsNullOrWhiteSpace(Name)
            ? []
            : Name.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var evaluated = Client is { } client && ViewContext?.HttpContext.RequestServices is { } services
            ? FeatureGates.FlagsOf(services, client)
            : flags;
        if (keys.Length == 0 || !FeatureGates.IsOpen(evaluated, keys, Requirement, Variation, Negate))
        {
            output.SuppressOutput();
        }
    }
}
