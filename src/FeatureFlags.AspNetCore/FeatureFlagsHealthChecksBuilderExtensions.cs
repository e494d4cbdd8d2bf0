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
    /// <param name="name">The check's name. Default <c>feature-flags</c>.</param>
    /// <param name="failureStatus">The status reported when there is no current flag data. Default unhealthy.</param>
    /// <param name="tags">Tags, for example <c>ready</c> for a Kubernetes readiness probe.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>The check reads in-memory state only: it does no I/O and never blocks. Requires <c>AddFeatureFlags</c>.</remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddHealthChecks().AddFeatureFlagsHealthCheck(tags: ["ready"]);
    /// app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") });
    /// </code>
    /// </example>
    public static IHealthChecksBuilder AddFeatureFlagsHealthCheck(
        this IHealthChecksBuilder builder,
        string name = "feature-flags",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.AddCheck<FeatureFlagsHealthCheck>(name, failureStatus, tags ?? []);
    }
}
