namespace FeatureFlags;

/// <summary>The names under which the SDK publishes OpenTelemetry-compatible traces and metrics.</summary>
/// <remarks>
/// <para>
/// The SDK uses <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>
/// from the BCL, so it needs no OpenTelemetry package; an app that uses OpenTelemetry subscribes by name. Nothing is
/// recorded until something listens: with no listener an evaluation costs a few field reads more and allocates nothing.
/// </para>
/// <para>
/// Each evaluation made through <see cref="IFeatureFlagClient"/> or <see cref="IFeatureFlags"/> adds a
/// <c>feature_flag.evaluation</c> event (OpenTelemetry feature-flag semantic conventions) to the current activity;
/// the SDK starts no activities of its own. The instruments and attributes are listed in docs/observability.md.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// builder.Services.AddOpenTelemetry()
///     .WithTracing(t => t.AddSource(FeatureFlagsTelemetry.ActivitySourceName))
///     .WithMetrics(m => m.AddMeter(FeatureFlagsTelemetry.MeterName));
/// </code>
/// </example>
public static class FeatureFlagsTelemetry
{
    /// <summary>The name of the SDK's <see cref="System.Diagnostics.ActivitySource"/>: <c>FeatureFlags</c>.</summary>
    public const string ActivitySourceName = "FeatureFlags";

    /// <summary>The name of the SDK's <see cref="System.Diagnostics.Metrics.Meter"/>: <c>FeatureFlags</c>.</summary>
    public const string MeterName = "FeatureFlags";
}
