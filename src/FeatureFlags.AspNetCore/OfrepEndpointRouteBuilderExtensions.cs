using FeatureFlags;
using FeatureFlags.AspNetCore;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the OpenFeature Remote Evaluation Protocol (OFREP) endpoints.</summary>
public static class OfrepEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps OFREP's evaluation endpoints under <paramref name="prefix"/>: <c>POST {prefix}/ofrep/v1/evaluate/flags/{key}</c>
    /// (one flag) and <c>POST {prefix}/ofrep/v1/evaluate/flags</c> (every flag, with <c>ETag</c> / <c>If-None-Match</c>),
    /// so that OpenFeature's OFREP providers (web, server) evaluate this app's flags over HTTP.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="prefix">The path the OFREP routes go under: <c>"/"</c> for <c>/ofrep/v1/...</c>, <c>"/flags"</c> for <c>/flags/ofrep/v1/...</c>.</param>
    /// <param name="configure">Optionally names the client, an authorization policy and the flags exposed (<see cref="OfrepOptions"/>).</param>
    /// <returns>The endpoints' convention builder, to secure them (<c>RequireAuthorization</c>), allow CORS or rate-limit them.</returns>
    /// <remarks>
    /// <para>
    /// Opt-in, and it exposes flag values: the caller sends an evaluation context (<c>targetingKey</c> and attributes) and
    /// gets the value the flag serves that user, for any user key it chooses. Protect it with
    /// <see cref="OfrepOptions.AuthorizationPolicy"/> (or <c>RequireAuthorization</c> on the returned builder) and limit it
    /// to the flags a caller may see with <see cref="OfrepOptions.Flags"/>.
    /// </para>
    /// <para>
    /// The context becomes a <see cref="FlagUser"/>: <c>targetingKey</c> the key, <c>name</c>, <c>email</c>,
    /// <c>country</c> the built-in attributes, other strings, numbers and booleans custom attributes (as text, as FeatBit
    /// compares them); within <see cref="FlagUser"/>'s limits. The request's own user (<c>UseFeatureFlags</c>) is not used.
    /// A single-flag evaluation records an evaluation event (insights, experiments) like any evaluation; the bulk one records
    /// none (the web provider caches it and evaluates locally). Responses are marked <c>Cache-Control: no-cache, private</c>.
    /// </para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// <see cref="OfrepOptions.Client"/> names a client that is not registered, a listed flag key is blank, or
    /// <see cref="OfrepOptions.MaxRequestBodySize"/> is not positive.
    /// </exception>
    /// <example>
    /// <code>
    /// builder.Services.AddAuthorizationBuilder().AddPolicy("ofrep", p => p.RequireAuthenticatedUser());
    /// // ...
    /// app.MapOfrep("/", o => o.AuthorizationPolicy = "ofrep");
    /// </code>
    /// </example>
    public static IEndpointConventionBuilder MapOfrep(this IEndpointRouteBuilder endpoints, string prefix = "/", Action<OfrepOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);

        var options = new OfrepOptions();
        configure?.Invoke(options);
        Validate(endpoints.ServiceProvider, prefix, options);

        var logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("FeatureFlags.AspNetCore.Ofrep") ?? NullLogger.Instance;
        var endpoint = new OfrepEndpoint(options, logger);
        var group = endpoints.MapGroup(prefix);
        group.WithMetadata(SdkEndpointMetadata.Instance); // never counted as a page view
        group.MapPost("/ofrep/v1/evaluate/flags/{key}", new RequestDelegate(endpoint.EvaluateFlagAsync)).WithDisplayName("FeatureFlags: OFREP evaluate flag");
        group.MapPost("/ofrep/v1/evaluate/flags", new RequestDelegate(endpoint.EvaluateFlagsAsync)).WithDisplayName("FeatureFlags: OFREP evaluate flags");
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        return group;
    }

    private static void Validate(IServiceProvider services, string prefix, OfrepOptions options)
    {
        if (options.MaxRequestBodySize <= 0)
        {
            throw new InvalidOperationException($"MapOfrep(\"{prefix}\"): OfrepOptions.MaxRequestBodySize must be positive.");
        }

        if (options.Flags is { } flags && flags.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException($"MapOfrep(\"{prefix}\"): OfrepOptions.Flags contains a blank flag key.");
        }

        if (options.AuthorizationPolicy is { } policy && string.IsNullOrWhiteSpace(policy))
        {
            throw new InvalidOperationException($"MapOfrep(\"{prefix}\"): OfrepOptions.AuthorizationPolicy is blank; leave it null for none.");
        }

        if (options.Client is { } client
            && services.GetService<IServiceProviderIsKeyedService>() is { } isKeyed
            && !isKeyed.IsKeyedService(typeof(IFeatureFlagClient), client))
        {
            throw new InvalidOperationException(
                $"MapOfrep(\"{prefix}\") names the client '{client}', which is not registered: call services.AddFeatureFlags(\"{client}\", ...).");
        }
    }
}
