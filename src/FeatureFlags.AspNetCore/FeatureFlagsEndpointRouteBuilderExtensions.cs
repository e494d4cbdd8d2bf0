using System.Text.Json;
using FeatureFlags;
using FeatureFlags.AspNetCore;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the optional endpoint that serves the current user's evaluated flags.</summary>
public static class FeatureFlagsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a GET endpoint that returns the listed flags evaluated for the request's user, as JSON
    /// (<c>{ "flag": { "value", "variationId" } }</c>), for a front end to bootstrap from.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="pattern">The route pattern, for example <c>/api/flags</c>.</param>
    /// <param name="configure">
    /// Names the flags to expose (<see cref="FeatureFlagsEndpointOptions.Flags"/>, required) and opts in to reasons.
    /// </param>
    /// <returns>The endpoint's convention builder, to secure it (<c>RequireAuthorization()</c>) or rate-limit it.</returns>
    /// <remarks>
    /// Opt-in: nothing is exposed unless this is called, and then only the flags in
    /// <see cref="FeatureFlagsEndpointOptions.Flags"/>: an empty list throws here, at startup, rather than expose every
    /// flag (server-only ones included) or silently serve <c>{}</c>. Reasons (<c>kind</c>, <c>reason</c>) are left out
    /// unless <see cref="FeatureFlagsEndpointOptions.IncludeReasons"/> is set: they name the matching rule with its values
    /// and reveal target-list membership. The endpoint has no authorization of its own: chain
    /// <c>RequireAuthorization()</c>. Responses are marked <c>Cache-Control: no-store</c> (they are per user). Requires
    /// <c>app.UseFeatureFlags()</c> before it, which sets the user. The response records no evaluation events.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No flag is listed, or a listed key is blank.</exception>
    /// <example>
    /// <code>
    /// app.MapFeatureFlags("/api/flags", o => o.Flags = ["checkout-ui", "banner"]).RequireAuthorization();
    /// </code>
    /// </example>
    public static IEndpointConventionBuilder MapFeatureFlags(
        this IEndpointRouteBuilder endpoints, string pattern, Action<FeatureFlagsEndpointOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        ArgumentNullException.ThrowIfNull(configure);

        var options = new FeatureFlagsEndpointOptions();
        configure(options);
        if (options.Flags is not { Count: > 0 } flags)
        {
            throw new InvalidOperationException(
                $"MapFeatureFlags(\"{pattern}\") needs the flags it exposes: set FeatureFlagsEndpointOptions.Flags, for example " +
                $"app.MapFeatureFlags(\"{pattern}\", o => o.Flags = [\"checkout-ui\"]). The endpoint does not expose every flag by default.");
        }

        if (flags.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException($"MapFeatureFlags(\"{pattern}\"): FeatureFlagsEndpointOptions.Flags contains a blank flag key.");
        }

        var endpoint = new FlagsEndpoint([.. flags.Distinct(StringComparer.Ordinal)], options.IncludeReasons);
        return endpoints.MapGet(pattern, new RequestDelegate(endpoint.WriteAsync))
            .WithDisplayName("FeatureFlags: evaluated flags")
            .WithMetadata(SdkEndpointMetadata.Instance);
    }

    private sealed class FlagsEndpoint(string[] flags, bool includeReasons)
    {
        // The listed flags, in list order; a copy, so a later change to the options list does not reach the endpoint.
        public Task WriteAsync(HttpContext context)
        {
            var state = context.RequestServices.GetRequiredService<IFeatureFlags>().GetAllFlags();
            var body = new Dictionary<string, FlagValueJson>(Math.Min(flags.Length, state.Flags.Count), StringComparer.Ordinal);
            foreach (var key in flags)
            {
                if (!state.TryGetDetail(key, out var detail))
                {
                    continue;
                }

                if (includeReasons)
                {
                    body[key] = new FlagValueJson(detail.Value, detail.VariationId, detail.Kind, detail.Reason);
                }
                else if (!detail.IsDefaultValue)
                {
                    body[key] = new FlagValueJson(detail.Value, detail.VariationId);
                }
            }

            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            return JsonSerializer.SerializeAsync(context.Response.Body, body, FlagsJsonContext.Default.DictionaryStringFlagValueJson, context.RequestAborted);
        }
    }
}
