using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// Where <see cref="EvaluationBenchmarks.GetAllFlags100"/>'s time goes: all flags for one user over 100 flags of one
/// filler kind at a time (0 off, 1 targeted elsewhere with a 100 % fallthrough, 2 two string rules, 3 a 30/70 rollout
/// that needs the user's bucket, 4 a segment rule); the mixed set is <see cref="EvaluationBenchmarks.GetAllFlags100"/>.
/// Divide by 100 for the cost of one flag of that kind.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class AllFlagsByKindBenchmarks
{
    private FeatureFlagClient _client = null!;
    private FlagUser _user = null!;

    [Params(0, 1, 2, 3, 4)]
    public int Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance);
        var (flags, segments) = EvaluationBenchmarks.BuildData(Kind);
        store.ApplyFull(flags, segments);
        _client = new FeatureFlagClient(store, Options.Create(new FeatureFlagsOptions()));
        _user = FlagUser.Builder("user-plain").Country("GB").Build();
        var all = _client.GetAllFlags(_user);
        if (!all.IsReady || all.Flags.Count != flags.Count || all.Flags.Values.Any(d => d.Kind == EvaluationReasonKind.Error))
        {
            throw new InvalidOperationException($"GetAllFlags did not evaluate {flags.Count} healthy flags.");
        }
    }

    [Benchmark]
    public AllFlagsState GetAllFlags() => _client.GetAllFlags(_user);
}
