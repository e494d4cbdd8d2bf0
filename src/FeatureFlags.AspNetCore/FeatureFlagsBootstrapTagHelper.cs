using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.AspNetCore.Razor.TagHelpers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore;

/// <summary>
/// Writes the request user's evaluated flags into the page, for FeatBit's JavaScript SDK to start with (its
/// <c>bootstrap</c> option): <c>&lt;feature-flags-bootstrap /&gt;</c> renders
/// <c>&lt;script type="application/json" id="featbit-bootstrap"&gt;[{"id":"checkout-ui","variation":"v2",...}]&lt;/script&gt;</c>.
/// </summary>
/// <remarks>
/// <para>
/// Only the flags listed in <c>FeatureFlags:ClientSide:Flags</c> (<see cref="FeatureFlagClientSideOptions"/>) are
/// written: FeatBit's flag data has no client-side marker. With no list the element holds <c>[]</c> and a warning is
/// logged once (EventId 4030). Each flag is written as the SDK's bootstrap entry: <c>id</c> (the flag key),
/// <c>variation</c> (the value served, as a string) and <c>variationOptions</c> (the served variation's <c>id</c> and
/// <c>value</c>, so the SDK's evaluation events name the real variation). <c>variationType</c> is left out (the SDK then
/// treats the value as a string; its <c>boolVariation</c>, <c>numberVariation</c> and <c>jsonVariation</c> convert it).
/// A listed flag that is missing or fails to evaluate is left out.
/// </para>
/// <para>
/// The JSON escapes <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, quotes, U+2028/U+2029 and every other non-ASCII character
/// as <c>\uXXXX</c>, so no flag key or value can close the script element (<c>&lt;/script&gt;</c>) or open an HTML
/// comment; read it with <c>JSON.parse(element.textContent)</c>, never by evaluating it. Evaluates with the request's
/// scoped <see cref="IFeatureFlags"/> (the user and snapshot of the rest of the request) and records no evaluation
/// events: the browser SDK records its own when the page evaluates.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// &lt;feature-flags-bootstrap /&gt;                          (id "featbit-bootstrap", the default client)
/// &lt;feature-flags-bootstrap id="flags-eu" client="eu" /&gt;  (the named client "eu")
/// &lt;feature-flags-bootstrap include-user="true" /&gt;       (adds data-user-key, for the browser SDK's user)
/// </code>
/// </example>
/// <param name="flags">The request's feature flags.</param>
[HtmlTargetElement("feature-flags-bootstrap", TagStructure = TagStructure.WithoutEndTag)]
public sealed class FeatureFlagsBootstrapTagHelper(IFeatureFlags flags) : TagHelper
{
    /// <summary>The element id used when none is given.</summary>
    public const string DefaultId = "featbit-bootstrap";

    // Escapes everything outside Basic Latin, and < > & ' " + ` inside it: the output is inert inside <script>.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Default };

    /// <summary>Gets or sets the id of the script element. Default <c>featbit-bootstrap</c>.</summary>
    public string Id { get; set; } = DefaultId;

    /// <summary>
    /// Gets or sets the named client whose flags are written (<c>AddFeatureFlags("eu", ...)</c>), for the request's
    /// user; none: the default client.
    /// </summary>
    public string? Client { get; set; }

    /// <summary>
    /// Gets or sets whether the element also carries the user's key as <c>data-user-key</c> (HTML-encoded), so the page
    /// can give the browser SDK the user the flags were evaluated for. Default <see langword="false"/>.
    /// </summary>
    public bool IncludeUser { get; set; }

    /// <summary>Gets or sets the view context (set by Razor): the request whose services hold the flags and options.</summary>
    [ViewContext]
    [HtmlAttributeNotBound]
    public ViewContext? ViewContext { get; set; }

    /// <inheritdoc />
    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var services = ViewContext?.HttpContext.RequestServices;
        var evaluated = Client is { } client && services is not null ? FeatureGates.FlagsOf(services, client) : flags;
        var allowed = services?.GetService<IOptionsMonitor<ClientSideFlags>>()?.CurrentValue ?? new ClientSideFlags();
        if (allowed.Keys.Length == 0 && services?.GetService<ILogger<FeatureFlagsBootstrapTagHelper>>() is { } logger)
        {
            allowed.WarnEmptyOnce(logger);
        }

        output.TagName = "script";
        output.TagMode = TagMode.StartTagAndEndTag;
        output.Attributes.SetAttribute("type", "application/json");
        output.Attributes.SetAttribute("id", string.IsNullOrWhiteSpace(Id) ? DefaultId : Id);
        if (IncludeUser && evaluated.User is { } user)
        {
            output.Attributes.SetAttribute("data-user-key", user.Key);
        }

        output.Content.SetHtmlContent(Write(allowed.Keys, allowed.Keys.Length == 0 ? null : evaluated.GetAllFlags()));
    }

    /// <summary>The bootstrap array of the allowed flags that evaluate for the user, escaped for a script element.</summary>
    internal static string Write(IReadOnlyList<string> keys, AllFlagsState? state)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            if (state is not null)
            {
                foreach (var key in keys)
                {
                    if (!state.TryGetDetail(key, out var detail) || detail.IsDefaultValue)
                    {
                        continue;
                    }

                    writer.WriteStartObject();
                    writer.WriteString("id", key);
                    writer.WriteString("variation", detail.Value);
                    writer.WriteStartArray("variationOptions");
                    writer.WriteStartObject();
                    writer.WriteString("id", detail.VariationId);
                    writer.WriteString("value", detail.Value);
                    writer.WriteEndObject();
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
