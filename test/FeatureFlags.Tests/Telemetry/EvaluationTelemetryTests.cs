using System.Diagnostics;
using System.Diagnostics.Metrics;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Telemetry.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;
using static FeatureFlags.Tests.Support.TestFlags;

namespace FeatureFlags.Tests.Telemetry;

[Collection(TelemetryGroup.Name)]
public sealed class EvaluationTelemetryTests : IDisposable
{
    private const long Version = 1_700_000_000_000;
    private static readonly FlagUser Alice = FlagUser.Create("alice");
    private static readonly FlagUser Premium = FlagUser.Builder("bob").Custom("plan", "premium").Build();

    private readonly FeatureFlagsMetrics _metrics = new();
    private readonly FlagStore _store;
    private readonly FeatureFlagClient _client;

    public EvaluationTelemetryTests()
    {
        // TraceUserKey is off by default; on here so that the events' user key can be checked.
        var options = new FeatureFlagsOptions { Overrides = { ["overridden"] = "true" }, Evaluation = { TraceUserKey = true } };
        _store = new FlagStore(Options.Create(options), NullLogger<FlagStore>.Instance, metrics: _metrics);
        _store.ApplyFull(
            [
                Flag("targeted").HitMiss().Target(HitId, "alice").Rule(RuleName, HitId, Condition("plan", "Equal", "premium")).Fallthrough(MissId).Build(),
                Flag("off").HitMiss().Off().Build(),
                Flag("static").HitMiss().Fallthrough(HitId).Build(),
                Flag("rollout").HitMiss().Fallthrough(null, false, Slice(HitId, 0, 0.5), Slice(MissId, 0.5, 1)).Build(),
                Flag("json").Variation("v-json", """{"code":3,"reason":"ok"}""").Fallthrough("v-json").Build(),
            ],
            []);
        _client = new FeatureFlagClient(_store, Options.Create(options));
    }

    public void Dispose()
    {
        _store.Dispose();
        _metrics.Dispose();
    }

    [Theory]
    [InlineData("targeted", "alice", "targeting_match", HitId)]
    [InlineData("targeted", "bob", "targeting_match", HitId)]
    [InlineData("targeted", "carol", "default", MissId)]
    [InlineData("off", "alice", "disabled", MissId)]
    [InlineData("static", "alice", "static", HitId)]
    [InlineData("overridden", "alice", "static", "override")]
    public void Evaluate_InsideRecordedActivity_AddsSemconvEvent(string flagKey, string userKey, string reason, string variant)
    {
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();
        var user = userKey == "bob" ? Premium : FlagUser.Create(userKey);

        _client.StringVariation(flagKey, user, "default");

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal(flagKey, tags["feature_flag.key"]);
        Assert.Equal("FeatBit", tags["feature_flag.provider.name"]);
        Assert.Equal(reason, tags["feature_flag.result.reason"]);
        Assert.Equal(variant, tags["feature_flag.result.variant"]);
        Assert.Equal(userKey, tags["feature_flag.context.id"]);
        Assert.True(tags.ContainsKey("feature_flag.version"));
        Assert.False(tags.ContainsKey("error.type"));
    }

    [Fact]
    [Trait("Conformance", "API-06")]
    public void Evaluate_TraceUserKeyOff_EventHasEverythingButTheUserKey()
    {
        var client = new FeatureFlagClient(_store, Options.Create(new FeatureFlagsOptions { Evaluation = { TraceUserKey = false } }));
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        client.StringVariation("targeted", Alice, "default");

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.False(tags.ContainsKey("feature_flag.context.id"));
        Assert.Equal(("targeted", "targeting_match", HitId), (tags["feature_flag.key"], tags["feature_flag.result.reason"], tags["feature_flag.result.variant"]));
        Assert.DoesNotContain(tags.Values, v => Equals(v, Alice.Key));
    }

    [Fact]
    public void Evaluate_DefaultOptions_EventHasNoUserKey()
    {
        Assert.False(new FeatureFlagsOptions().Evaluation.TraceUserKey);
        var client = new FeatureFlagClient(_store, Options.Create(new FeatureFlagsOptions()));
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        client.StringVariation("targeted", Alice, "default");

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.False(tags.ContainsKey("feature_flag.context.id"));
        Assert.DoesNotContain(tags.Values, v => Equals(v, Alice.Key));
    }

    [Fact]
    public void Evaluate_PercentageRollout_ReasonIsSplit()
    {
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        var detail = _client.StringVariationDetail("rollout", Alice, "default");

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal("split", tags["feature_flag.result.reason"]);
        Assert.Equal(detail.VariationId, tags["feature_flag.result.variant"]);
        Assert.Equal(Version.ToString(System.Globalization.CultureInfo.InvariantCulture), tags["feature_flag.version"]);
    }

    [Fact]
    public void Evaluate_UnknownFlag_ErrorEventWithoutVariant()
    {
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        Assert.True(_client.BoolVariation("no-such-flag", Alice, defaultValue: true));

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal("(unknown)", tags["feature_flag.key"]);
        Assert.Equal("error", tags["feature_flag.result.reason"]);
        Assert.Equal("flag_not_found", tags["error.type"]);
        Assert.Equal(Reasons.FlagNotFound, tags["error.message"]);
        Assert.False(tags.ContainsKey("feature_flag.result.variant"));
        Assert.False(tags.ContainsKey("feature_flag.version"));
    }

    [Fact]
    public void Evaluate_WrongType_ErrorIsTypeMismatch()
    {
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        Assert.Equal(7, _client.IntVariation("static", Alice, 7));

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal(("error", "type_mismatch"), (tags["feature_flag.result.reason"], tags["error.type"]));
    }

    [Fact]
    public void Evaluate_StoreNotInitialized_ErrorIsProviderNotReady()
    {
        using var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance);
        var client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions()));
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        client.BoolVariation("static", Alice);

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal(("error", "provider_not_ready"), (tags["feature_flag.result.reason"], tags["error.type"]));
    }

    [Fact]
    public void Evaluate_NullUser_ErrorIsTargetingKeyMissing()
    {
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        _client.BoolVariation("static", null!);

        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal("targeting_key_missing", tags["error.type"]);
        Assert.False(tags.ContainsKey("feature_flag.context.id"));
    }

    [Fact]
    public void JsonVariation_Deserialised_AddsEvent()
    {
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        var value = _client.JsonVariation("json", Alice, new JsonCode(-1, "default"), TestJsonContext.Default.JsonCode);

        Assert.Equal(new JsonCode(3, "ok"), value);
        var tags = TelemetryCapture.SingleEvaluation(activity);
        Assert.Equal(("static", "v-json"), (tags["feature_flag.result.reason"], tags["feature_flag.result.variant"]));
    }

    [Fact]
    public void Evaluate_NoCurrentActivity_ReturnsTheValueAndStillCounts()
    {
        using var capture = new TelemetryCapture();
        using var collector = new MetricCollector<long>(_metrics.Meter, "featureflags.evaluations");
        Assert.Null(Activity.Current);

        Assert.Equal(Hit, _client.StringVariation("targeted", Alice, "default"));

        Assert.Equal(1, Assert.Single(collector.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public void Evaluate_ActivityNotRecorded_AddsNoEvent()
    {
        using var capture = new TelemetryCapture(sampling: ActivitySamplingResult.PropagationData);
        using var activity = capture.Start();
        Assert.False(activity.IsAllDataRequested);

        _client.StringVariation("targeted", Alice, "default");

        Assert.Empty(activity.Events);
    }

    [Fact]
    public void Evaluate_NobodyListensToTheSdkSource_AddsNoEvent()
    {
        using var capture = new TelemetryCapture(listenToSdk: false);
        using var activity = capture.Start();
        Assert.False(EvaluationTelemetry.Source.HasListeners());

        _client.StringVariation("targeted", Alice, "default");

        Assert.Empty(activity.Events);
    }

    [Fact]
    public void Evaluate_Counter_TagsFlagVariantReasonAndErrorType()
    {
        using var collector = new MetricCollector<long>(_metrics.Meter, "featureflags.evaluations");

        _client.StringVariation("targeted", Alice, "default");
        _client.StringVariation("rollout", Alice, "default");
        _client.BoolVariation("no-such-flag", Alice);

        var measurements = collector.GetMeasurementSnapshot();
        Assert.Equal(3, measurements.Count);
        Assert.All(measurements, m => Assert.Equal(1, m.Value));
        Assert.Equal(("targeted", "targeting_match", HitId), Tags(measurements[0], "feature_flag.key", "feature_flag.result.reason", "feature_flag.result.variant"));
        Assert.False(measurements[0].ContainsTags("error.type"));
        Assert.Equal(("rollout", "split"), (measurements[1].Tags["feature_flag.key"], measurements[1].Tags["feature_flag.result.reason"]));
        Assert.Contains(measurements[1].Tags["feature_flag.result.variant"], new object[] { HitId, MissId });
        Assert.Equal(("(unknown)", "error", "flag_not_found"), Tags(measurements[2], "feature_flag.key", "feature_flag.result.reason", "error.type"));
        Assert.False(measurements[2].ContainsTags("feature_flag.result.variant"));
        Assert.All(measurements, m => Assert.False(m.ContainsTags("feature_flag.context.id")));
    }

    [Fact]
    public async Task InternalEvaluations_AllFlagsAndTracker_AreNotCounted()
    {
        using var collector = new MetricCollector<long>(_metrics.Meter, "featureflags.evaluations");
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        using var tracker = new FlagTracker(_store, _client, NullLogger<FlagTracker>.Instance);
        var changed = new TaskCompletionSource<FlagValueChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);

        _client.GetAllFlags(Alice);
        using var subscription = tracker.OnFlagValueChanged("static", Alice, e => changed.TrySetResult(e));
        var next = Flag("static").HitMiss().Fallthrough(MissId).Build();
        next.UpdatedAt = Version + 1;
        _store.ApplyPatch([next], []);
        Assert.Equal(Miss, (await changed.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken)).NewValue);

        Assert.Empty(collector.GetMeasurementSnapshot());
        Assert.Empty(activity.Events);
    }

    [Fact]
    public void Evaluate_ThousandDistinctUnknownKeys_CounterHasOneKeyTagValue()
    {
        var keys = new HashSet<string?>(StringComparer.Ordinal);
        long count = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, _metrics.Meter) && instrument.Name == "featureflags.evaluations")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (keys)
            {
                count += value;
                foreach (var tag in tags)
                {
                    if (tag.Key == "feature_flag.key")
                    {
                        keys.Add(tag.Value as string);
                    }
                }
            }
        });
        listener.Start();

        for (var i = 0; i < 1_000; i++)
        {
            var key = "no-such-flag-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(EvaluationReasonKind.FlagNotFound, _client.BoolVariationDetail(key, Alice).Kind);
        }

        _client.BoolVariation(null!, Alice);
        _client.BoolVariation("archived-or-never-existed", null!);

        lock (keys)
        {
            Assert.Equal(1_002, count);
            Assert.Equal("(unknown)", Assert.Single(keys));
        }
    }

    [Fact]
    public void Evaluate_RealFlagWithNullUser_CounterAndEventKeepTheKey()
    {
        using var collector = new MetricCollector<long>(_metrics.Meter, "featureflags.evaluations");
        using var capture = new TelemetryCapture();
        using var activity = capture.Start();

        _client.BoolVariation("static", null!);

        Assert.Equal("static", Assert.Single(collector.GetMeasurementSnapshot()).Tags["feature_flag.key"]);
        Assert.Equal("static", TelemetryCapture.SingleEvaluation(activity)["feature_flag.key"]);
    }

    [Fact]
    public void Evaluate_StoreNotReady_KeyIsUnknown()
    {
        using var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance, metrics: _metrics);
        var client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions()));
        using var collector = new MetricCollector<long>(_metrics.Meter, "featureflags.evaluations");

        client.BoolVariation("static", Alice);

        Assert.Equal("(unknown)", Assert.Single(collector.GetMeasurementSnapshot()).Tags["feature_flag.key"]);
    }

    [Theory]
    [InlineData("targeted", "alice")] // target match
    [InlineData("targeted", "bob")] // rule match
    [InlineData("off", "alice")]
    [InlineData("static", "alice")]
    [InlineData("rollout", "alice")]
    [InlineData("rollout", "carol")]
    [InlineData("overridden", "alice")]
    [InlineData("broken", "alice")] // malformed: the variation is dangling
    [InlineData("missing", "alice")]
    [InlineData("targeted", null)] // no user
    public void ValueOnlyEvaluation_RecordsWhatTheDetailPathRecords(string flagKey, string? userKey)
    {
        // StringVariation and BoolVariation return as soon as a value is served, without building the detail
        // (FeatureFlagClient.Variation); every outcome must still give the detail's value, event and counter tags.
        using var store = new FlagStore(Options.Create(new FeatureFlagsOptions { Overrides = { ["overridden"] = "true" } }), NullLogger<FlagStore>.Instance, metrics: _metrics);
        store.ApplyFull(
            [
                Flag("targeted").HitMiss().Target(HitId, "alice").Rule(RuleName, HitId, Condition("plan", "Equal", "premium")).Fallthrough(MissId).Build(),
                Flag("off").HitMiss().Off().Build(),
                Flag("static").HitMiss().Fallthrough(HitId).Build(),
                Flag("rollout").HitMiss().Fallthrough(null, false, Slice(HitId, 0, 0.5), Slice(MissId, 0.5, 1)).Build(),
                Flag("broken").HitMiss().Fallthrough("no-such-variation").Build(),
            ],
            []);
        var client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions { Evaluation = { TraceUserKey = true } }));
        var user = userKey switch { null => null!, "bob" => Premium, _ => FlagUser.Create(userKey) };

        var (stringValue, stringEvent, stringCount) = Observe(() => client.StringVariation(flagKey, user, "default"));
        var (stringDetail, stringDetailEvent, stringDetailCount) = Observe(() => client.StringVariationDetail(flagKey, user, "default").Value);
        var (boolValue, boolEvent, boolCount) = Observe(() => client.BoolVariation(flagKey, user, true)); // a string flag: a wrong type
        var (boolDetail, boolDetailEvent, boolDetailCount) = Observe(() => client.BoolVariationDetail(flagKey, user, true).Value);

        Assert.Equal(stringDetail, stringValue);
        Assert.Equal(stringDetailEvent, stringEvent);
        Assert.Equal(stringDetailCount, stringCount);
        Assert.Equal(boolDetail, boolValue);
        Assert.Equal(boolDetailEvent, boolEvent);
        Assert.Equal(boolDetailCount, boolCount);
    }

    /// <summary>The value <paramref name="evaluate"/> returns, with the attributes of the evaluation event and of the counter it recorded.</summary>
    private (T Value, Dictionary<string, object?> Event, Dictionary<string, object?> Count) Observe<T>(Func<T> evaluate)
    {
        using var capture = new TelemetryCapture();
        using var collector = new MetricCollector<long>(_metrics.Meter, "featureflags.evaluations");
        using var activity = capture.Start();
        var value = evaluate();
        var count = Assert.Single(collector.GetMeasurementSnapshot());
        return (value, TelemetryCapture.SingleEvaluation(activity), count.Tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal));
    }

    private static (object?, object?, object?) Tags(CollectedMeasurement<long> m, string a, string b, string c) => (m.Tags[a], m.Tags[b], m.Tags[c]);

    [Theory]
    [InlineData(EvaluationReasonKind.ClientNotReady, Reasons.ClientNotReady, "provider_not_ready")]
    [InlineData(EvaluationReasonKind.WrongType, Reasons.WrongType, "type_mismatch")]
    [InlineData(EvaluationReasonKind.FlagNotFound, Reasons.FlagNotFound, "flag_not_found")]
    [InlineData(EvaluationReasonKind.MalformedFlag, Reasons.MalformedFlag, "parse_error")]
    [InlineData(EvaluationReasonKind.Error, Reasons.UserNotSpecified, "targeting_key_missing")]
    [InlineData(EvaluationReasonKind.Error, Reasons.Exception, "general")]
    [InlineData(EvaluationReasonKind.FlagNotFound, Reasons.FlagKeyNotSpecified, "flag_not_found")]
    [InlineData(EvaluationReasonKind.Off, Reasons.FlagOff, null)]
    [InlineData(EvaluationReasonKind.RuleMatch, "a rule", null)]
    public void ErrorTypeOf_EveryOutcome_MapsToOpenFeatureErrorCode(EvaluationReasonKind kind, string reason, string? expected)
        => Assert.Equal(expected, EvaluationTelemetry.ErrorTypeOf(kind, reason));
}
