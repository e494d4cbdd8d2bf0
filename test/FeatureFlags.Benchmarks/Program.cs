using BenchmarkDotNet.Running;
using FeatureFlags.Benchmarks;

// `store-memory` prints what a 10,000-flag store retains, `push-latency` the push-to-visible latency, `events-outage`
// the callers' latency and memory while the event endpoint is down; anything else goes to BenchmarkDotNet
// (e.g. `--filter *EvaluationBenchmarks*`); see docs/performance.md.
if (args is ["store-memory"])
{
    StoreMemory.Report();
    return;
}

if (args is ["push-latency"])
{
    await PushLatency.RunAsync();
    return;
}

if (args is ["events-outage"])
{
    await EventsOutage.RunAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
