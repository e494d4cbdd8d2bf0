using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// What recording events costs the caller: the same <c>BoolVariation</c> of an off flag with events disabled (the
/// baseline) and enabled, and <c>Track</c>. Each invocation makes <see cref="Operations"/> calls, then empties the
/// buffer (so every call takes the enqueue path, never the buffer-full path); the emptying is counted in the time,
/// which makes the numbers slightly pessimistic. The processor is the one <c>AddFeatureFlagEvents</c> registers; it is
/// not started, so nothing is sent. Targets are in docs/performance.md.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class EventBenchmarks
{
    private const int Operations = 1000;
    private const string OffFlagKey = "checkout-v2-off";

    private ServiceProvider _services = null!;
    private EventProcessor _processor = null!;
    private FeatureFlagClient _withEvents = null!;
    private FeatureFlagClient _withoutEvents = null!;
    private FlagUser _user = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new FeatureFlagsOptions { EnvSecret = "benchmark-secret" });
        var services = new ServiceCollection();
        services.AddSingleton(options);
        services.AddFeatureFlagEvents();
        _services = services.BuildServiceProvider();
        _processor = _services.GetRequiredService<EventProcessor>();

        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        store.ApplyFull(
            [new FlagDto
            {
                Id = "id-off",
                Key = OffFlagKey,
                VariationType = "boolean",
                Variations = [new VariationDto { Id = "t", Value = "true" }, new VariationDto { Id = "f", Value = "false" }],
                TargetUsers = [],
                Rules = [],
                IsEnabled = false,
                DisabledVariationId = "f",
                UpdatedAt = 1_700_000_000_000,
            }],
            []);
        _withEvents = new FeatureFlagClient(store, options, _processor);
        _withoutEvents = new FeatureFlagClient(store, options);
        _user = FlagUser.Builder("user-plain").Country("GB").Build();

        if (_withEvents.BoolVariationDetail(OffFlagKey, _user, true).Kind != EvaluationReasonKind.Off || _withEvents.Events is null)
        {
            throw new InvalidOperationException("Benchmark setup is broken.");
        }

        _processor.DiscardPending();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Evaluation")]
    public bool OffFlag_EventsDisabled()
    {
        var any = false;
        for (var i = 0; i < Operations; i++)
        {
            any ^= _withoutEvents.BoolVariation(OffFlagKey, _user, true);
        }

        return any;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Evaluation")]
    public bool OffFlag_EventsEnabled()
    {
        var any = false;
        for (var i = 0; i < Operations; i++)
        {
            any ^= _withEvents.BoolVariation(OffFlagKey, _user, true);
        }

        _processor.DiscardPending();
        return any;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    [BenchmarkCategory("Track")]
    public void Track()
    {
        for (var i = 0; i < Operations; i++)
        {
            _withEvents.Track(_user, "purchase", 49.9);
        }

        _processor.DiscardPending();
    }
}
