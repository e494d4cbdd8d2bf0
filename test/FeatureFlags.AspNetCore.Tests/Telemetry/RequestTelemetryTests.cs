using System.Diagnostics;
using System.Diagnostics.Metrics;
using FeatureFlags.AspNetCore.Tests.Support;
using FeatureFlags.AspNetCore.Tests.TestApp;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Telemetry;

/// <summary>The telemetry an app sees end to end: a gated request's own activity and the host's meter.</summary>
public sealed class RequestTelemetryTests
{
    private const string User = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier=u1";

    [Fact]
    public async Task GatedRequest_RequestActivityCarriesTheEvaluationEventAndTheHostsMeterCountsIt()
    {
        // TraceUserKey is off by default: turned on here to see the request's user in the event.
        await using var host = await TestHost.StartAsync(
            featureFlags: b => b.Services.Configure<FeatureFlagsOptions>(o => o.Evaluation.TraceUserKey = true), flags: [Flags.Bool("min-flag", true)]);
        var factory = host.App.Services.GetRequiredService<IMeterFactory>();
        using var evaluations = new MetricCollector<long>(factory, FeatureFlagsTelemetry.MeterName, "featureflags.evaluations");

        // Other tests' requests run meanwhile: this request is told apart by its own trace id.
        var traceId = ActivityTraceId.CreateRandom();
        var stopped = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Microsoft.AspNetCore" or FeatureFlagsTelemetry.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.TraceId == traceId)
                {
                    stopped.TrySetResult(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var (status, _) = await host.GetAsync("/min/gated", User,
            r => r.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01"));

        Assert.Equal(200, status);
        var activity = await stopped.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        var evaluation = Assert.Single(activity.Events, e => e.Name == "feature_flag.evaluation");
        var tags = evaluation.Tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        Assert.Equal("min-flag", tags["feature_flag.key"]);
        Assert.Equal("FeatBit", tags["feature_flag.provider.name"]);
        Assert.Equal("u1", tags["feature_flag.context.id"]);
        Assert.Equal("static", tags["feature_flag.result.reason"]);

        var counted = Assert.Single(evaluations.GetMeasurementSnapshot());
        Assert.Equal(("min-flag", "static"), (counted.Tags["feature_flag.key"], counted.Tags["feature_flag.result.reason"]));
    }
}
