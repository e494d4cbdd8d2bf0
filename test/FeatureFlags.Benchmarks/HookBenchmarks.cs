using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Hooks;
using FeatureFlags.Hooks.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// What hooks cost an evaluation (a targeted user, as in <see cref="EvaluationBenchmarks"/>' <c>TargetedUser</c>).
/// <c>NoHook</c> is a client without hooks (the default, and the baseline); <c>OneNoOpHook</c> runs one hook that
/// overrides nothing (the cost of the mechanism: the context, two virtual generic calls); <c>OneTimingHook</c> runs one
/// hook that hands a <see cref="Stopwatch"/> timestamp from before to after, as a duration metric does. The
/// <c>*Detail</c> and JSON cases show the detail and JSON paths with one no-op hook. Not run by the test command; the
/// integrator measures (docs/performance.md, Hooks).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class HookBenchmarks
{
    private const string FlagKey = "beta-testers";
    private const string JsonFlagKey = "banner";

    private FeatureFlagClient _noHook = null!;
    private FeatureFlagClient _noOpHook = null!;
    private FeatureFlagClient _timingHook = null!;
    private FlagUser _user = null!;

    [GlobalSetup]
    public void Setup()
    {
        var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance);
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
                new FlagDto
                {
                    Id = "f2",
                    Key = JsonFlagKey,
                    VariationType = "json",
                    UpdatedAt = 1_700_000_000_000,
                    IsEnabled = true,
                    DisabledVariationId = "v",
                    Variations = [new VariationDto { Id = "v", Value = "{\"text\":\"Spring sale\",\"color\":\"green\"}" }],
                    TargetUsers = [],
                    Rules = [],
                    Fallthrough = new FallthroughDto { Variations = [new RolloutVariationDto { Id = "v", Rollout = [0, 1] }] },
                },
            ],
            []);
        var options = Options.Create(new FeatureFlagsOptions());
        _noHook = new FeatureFlagClient(store, options);
        _noOpHook = new FeatureFlagClient(store, options, hooks: new HookRunner([new NoOpHook()]));
        _timingHook = new FeatureFlagClient(store, options, hooks: new HookRunner([new TimingHook()]));
        _user = FlagUser.Builder("tester-057").Build();
        foreach (var client in new[] { _noHook, _noOpHook, _timingHook })
        {
            if (client.BoolVariationDetail(FlagKey, _user).Kind != EvaluationReasonKind.TargetMatch)
            {
                throw new InvalidOperationException("The benchmark user is not targeted.");
            }
        }

        if (_noOpHook.Hooks is null || _noHook.Hooks is not null)
        {
            throw new InvalidOperationException("The clients do not have the hooks their cases name.");
        }
    }

    [Benchmark(Baseline = true)]
    public bool NoHook() => _noHook.BoolVariation(FlagKey, _user);

    [Benchmark]
    public bool OneNoOpHook() => _noOpHook.BoolVariation(FlagKey, _user);

    [Benchmark]
    public bool OneTimingHook() => _timingHook.BoolVariation(FlagKey, _user);

    [Benchmark]
    public EvaluationDetail<bool> NoHookDetail() => _noHook.BoolVariationDetail(FlagKey, _user);

    [Benchmark]
    public EvaluationDetail<bool> OneNoOpHookDetail() => _noOpHook.BoolVariationDetail(FlagKey, _user);

    [Benchmark]
    public int NoHookJsonElement() => _noHook.JsonVariation(JsonFlagKey, _user, default, BenchmarkJsonContext.Default.JsonElement).GetPropertyCount();

    [Benchmark]
    public int OneNoOpHookJsonElement() => _noOpHook.JsonVariation(JsonFlagKey, _user, default, BenchmarkJsonContext.Default.JsonElement).GetPropertyCount();

    /// <summary>Overrides nothing: what the mechanism costs.</summary>
    private sealed class NoOpHook : FeatureFlagsHook;

    /// <summary>Hands a timestamp from before to after (allocation-free series data), as a duration metric does.</summary>
    private sealed class TimingHook : FeatureFlagsHook
    {
        private long _ticks;

        public override EvaluationSeriesData BeforeEvaluation<T>(in EvaluationSeriesContext<T> context) => new(Stopwatch.GetTimestamp());

        public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
            => _ticks += Stopwatch.GetTimestamp() - data.Number;
    }
}
