using System.Diagnostics;
using Xunit;

namespace FeatureFlags.Tests.Telemetry;

/// <summary>
/// Tests that listen to the SDK's process-wide <see cref="ActivitySource"/> share this collection, so one test's
/// listener never makes another's "nobody listens" case listen.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TelemetryGroup
{
    public const string Name = "FeatureFlags telemetry";
}

/// <summary>
/// An <see cref="ActivityListener"/> on the SDK's source (optionally) and on a test source whose activities stand in
/// for the application's request activity; <see cref="Start"/> makes one current.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private const string AppSourceName = "FeatureFlags.Tests.App";
    private readonly ActivitySource _app = new(AppSourceName);
    private readonly ActivityListener _listener;

    public TelemetryCapture(bool listenToSdk = true, ActivitySamplingResult sampling = ActivitySamplingResult.AllDataAndRecorded)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AppSourceName || (listenToSdk && source.Name == FeatureFlagsTelemetry.ActivitySourceName),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Starts an application activity and makes it current (dispose it to end it).</summary>
    public Activity Start(string name = "request") => _app.StartActivity(name) ?? throw new InvalidOperationException("the test source is not listened to");

    /// <summary>The attributes of the one <c>feature_flag.evaluation</c> event of <paramref name="activity"/>.</summary>
    public static Dictionary<string, object?> SingleEvaluation(Activity activity)
    {
        var evt = Assert.Single(activity.Events);
        Assert.Equal("feature_flag.evaluation", evt.Name);
        return evt.Tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _app.Dispose();
    }
}
