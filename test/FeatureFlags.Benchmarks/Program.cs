using BenchmarkDotNet.Running;
using FeatureFlags.Benchmarks;

// `store-memory` prints what a 10,000-flag store retains; anything else goes to BenchmarkDotNet
// (e.g. `--filter *EvaluationBenchmarks*`); see docs/performance.md.
if (args is ["store-memory"])
{
    StoreMemory.Report();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
