using FeatureFlags;
using FeatureFlags.AspNetCore.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the feature-flag health check.</summary>
public static class FeatureFlagsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check on the flag data: <c>Ready</c> is healthy, <c>Interrupted</c> (serving the last flags while
    /// reconnecting) is degraded, <c>Initializing</c> and <c>Off</c> are <paramref name="failureStatus"/> (unhealthy by
    /// default). The data holds the state, since when, the last error and when, the store version and the flag count;
    /// never the secret.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>feature-flags</c>, or <c>feature-flags-{client}</c> for a named client.</param>
    /// <param name="failureStatus">The status reported when there is no current flag data. Default unhealthy.</param>
    /// <param name="tags">Tags, for example <c>ready</c> for a Kubernetes readiness probe.</param>
    /// <param name="client">
    /// The named client to check (<c>AddFeatureFlags("eu", ...)</c>); none (the default): the default client. Add one
    /// check per client: each reports its own client's flag data only.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>The check reads in-memory state only: it does no I/O and never blocks. Requires <c>AddFeatureFlags</c>.</remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddHealthChecks()
    ///     .AddFeatureFlagsHealthCheck(tags: ["ready"])                  // "feature-flags": the default client
    ///     .AddFeatureFlagsHealthCheck(tags: ["ready"], client: "eu");   // "feature-flags-eu"
    /// app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") });
    /// </code>
    /// </example>
    public static IHealthChecksBuilder AddFeatureFlagsHealthCheck(
        this IHealthChecksBuilder builder,
        string? name = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        string? client = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        }

        if (client is null)
        {
            return builder.AddCheck<FeatureFlagsHealthCheck>(name ?? "feature-flags", failureStatus, tags ?? []);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(client);
        return builder.Add(new HealthCheckRegistration(
            name ?? "feature-flags-" + client,
            sp => new FeatureFlagsHealthCheck(sp.GetRequiredKeyedService<IFeatureFlagsStatusProvider>(client), sp.GetRequiredKeyedService<IFlagStore>(client)),
            failureStatus,
            tags ?? []));
    }
}
