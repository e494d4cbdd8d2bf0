using System.Text.Json;
using FeatureFlags;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the optional endpoint that serves the current user's evaluated flags.</summary>
public static class FeatureFlagsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a GET endpoint that returns every flag evaluated for the request's user, as JSON
    /// (<c>{ "flag": { "value", "variationId", "kind", "reason" } }</c>), for a front end to bootstrap from.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="pattern">The route pattern. Default <c>/flags</c>.</param>
    /// <returns>The endpoint's convention builder, to secure it (<c>RequireAuthorization()</c>) or rate-limit it.</returns>
    /// <remarks>
    /// Opt-in: nothing is exposed unless this is called. The response reveals every flag's value for the caller, so
    /// secure it as your front end needs. Responses are marked <c>Cache-Control: no-store</c> (they are per user).
    /// Requires <c>app.UseFeatureFlags()</c> before it, which sets the user.
    /// </remarks>
    /// <example>
    /// <code>
    /// app.MapFeatureFlags("/api/flags").RequireAuthorization();
    /// </code>
    /// </example>
    public static IEndpointConventionBuilder MapFeatureFlags(this IEndpointRouteBuilder endpoints, string pattern = "/flags")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        return endpoints.MapGet(pattern, new RequestDelegate(WriteFlagsAsync)).WithDisplayName("FeatureFlags: evaluated flags");
    }

    private static Task WriteFlagsAsync(HttpContext context)
    {
        var state = context.RequestServices.GetRequiredService<IFeatureFlags>().GetAllFlags();
        var body = new Dictionary<string, FlagValueJson>(state.Flags.Count, StringComparer.Ordinal);
        foreach (var (key, detail) in state.Flags)
        {
            body[key] = new FlagValueJson(detail.Value, detail.VariationId, detail.Kind, detail.Reason);
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, body, FlagsJsonContext.Default.DictionaryStringFlagValueJson, context.RequestAborted);
    }
}
