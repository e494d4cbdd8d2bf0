using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// What telemetry costs an evaluation (a targeted user, as in <see cref="EvaluationBenchmarks"/>). The store carries
/// the SDK's instruments as the container wires them. <c>NoListener</c> is the default: nobody subscribed to the
/// <c>FeatureFlags</c> source or meter. <c>MeterListener</c> enables the evaluations counter. The two request cases
/// start and stop an application activity per operation with an ActivityListener on the application's source and
/// on <c>FeatureFlags</c> (and the MeterListener): their difference is what one evaluation costs when traced and
/// counted. BenchmarkDotNet runs each case in its own process, so the listeners of one never reach another.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class TelemetryBenchmarks
{
    private const string FlagKey = "beta-testers";

    private static readonly ActivitySource App = new("Benchmarks.App");

    // The meter and the listeners, disposed in Cleanup.
    private readonly List<IDisposable> _owned = [];
    private Counter<long> _evaluations = null!;
    private FeatureFlagClient _client = null!;
    private FlagUser _user = null!;
    private bool _countsExpected;
    private long _counted;

    [GlobalSetup(Targets = [nameof(NoListener)])]
    public void SetupQuiet() => Build();

    [GlobalSetup(Targets = [nameof(MeterListener)])]
    public void SetupMeter()
    {
        Build();
        ListenToMeter();
    }

    [GlobalSetup(Targets = [nameof(RequestActivityOnly), nameof(RequestActivityWithEvaluation)])]
    public void SetupEverything()
    {
        Build();
        ListenToMeter();
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Benchmarks.App" or FeatureFlagsTelemetry.ActivitySourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        _owned.Add(listener);

        // The case must measure what it names: an event on the request activity with the semconv attributes.
        using var activity = App.StartActivity("request")!;
        _client.BoolVariation(FlagKey, _user);
        if (activity.Events.SingleOrDefault().Name != SemanticConventions.EvaluationEventName)
        {
            throw new InvalidOperationException("The evaluation added no feature_flag.evaluation event.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _owned.ForEach(static d => d.Dispose());
        if (_countsExpected && Volatile.Read(ref _counted) == 0)
        {
            throw new InvalidOperationException("The evaluations counter recorded nothing.");
        }
    }

    [Benchmark(Baseline = true)]
    public bool NoListener() => _client.BoolVariation(FlagKey, _user);

    [Benchmark]
    public bool MeterListener() => _client.BoolVariation(FlagKey, _user);

    [Benchmark]
    public bool RequestActivityOnly()
    {
        using var activity = App.StartActivity("request");
        return activity is not null;
    }

    [Benchmark]
    public bool RequestActivityWithEvaluation()
    {
        using var activity = App.StartActivity("request");
        return _client.BoolVariation(FlagKey, _user);
    }

    private void Build()
    {
        var metrics = new FeatureFlagsMetrics();
        _owned.Add(metrics);
        _evaluations = metrics.Evaluations;
        var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance, metrics: metrics);
        store.ApplyFull(
            [
                new FlagDto
                {
                    Id = "f1",
                    Key = FlagKey,
                    VariationType = "boolean",
                    UpdatedAt = 1_700_000_000_000,
                    IsEnabled = true,
                    DisabledVariationId = "off",
                    Variations = [new VariationDto { Id = "on", Value = "true" }, new VariationDto { Id = "off", Value = "false" }],
                    TargetUsers = [new TargetUserDto { KeyIds = [.. Enumerable.Range(0, 100).Select(i => $"tester-{i:D3}")], VariationId = "on" }],
                    Rules = [],
                    Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = "off", Rollout = [0, 1] }] },
                },
            ],
            []);
        _client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions()));
        _user = FlagUser.Builder("tester-057").Build();
        if (_client.BoolVariationDetail(FlagKey, _user).Kind != EvaluationReasonKind.TargetMatch)
        {
            throw new InvalidOperationException("The benchmark user is not targeted.");
        }
    }

    private void ListenToMeter()
    {
        var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument, _evaluations))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _counted, value));
        listener.Start();
        _owned.Add(listener);
        _countsExpected = true;
    }
}
