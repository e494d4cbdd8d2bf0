using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Maps the sync status to health: Ready = healthy (degraded while a broken bootstrap file edit is in force),
/// Interrupted = degraded, otherwise the failure status.
/// </summary>
internal sealed class FeatureFlagsHealthCheck(IFeatureFlagsStatusProvider status, IFlagStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var current = status.Current;
        var data = new Dictionary<string, object>(8, StringComparer.Ordinal)
        {
            ["state"] = current.State.ToString(),
            ["since"] = current.Since.ToString("O", CultureInfo.InvariantCulture),
            ["storeVersion"] = store.Version,
            ["flagCount"] = store.FlagKeys.Count,
        };
        if (current.DataSource is { } source)
        {
            data["dataSource"] = source;
        }

        if (current.LastError is { } error)
        {
            data["lastError"] = error;
        }

        if (current.LastErrorAt is { } at)
        {
            data["lastErrorAt"] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        if (current.BootstrapFileError is { } bootstrapError)
        {
            data["bootstrapFileError"] = bootstrapError;
        }

        var result = current.State switch
        {
            FeatureFlagsState.Ready when current.BootstrapFileError is { } broken =>
                HealthCheckResult.Degraded("Bootstrap file broken, serving the last good flags: " + broken, data: data),
            FeatureFlagsState.Ready => HealthCheckResult.Healthy("Flag data is current.", data),
            FeatureFlagsState.Interrupted => HealthCheckResult.Degraded("Connection to the flag server lost; serving the last flags while reconnecting.", data: data),
            FeatureFlagsState.Initializing => new HealthCheckResult(context.Registration.FailureStatus, "No flag data yet; evaluations return defaults.", data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, "Flag sync is off; serving the last flags received, if any.", data: data),
        };
        return Task.FromResult(result);
    }
}
