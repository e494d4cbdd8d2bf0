using System.Diagnostics;
using BenchmarkDotNet.Running;
using FeatureFlags.Benchmarks;

var mainStarted = Stopwatch.GetTimestamp();

// `sync-timing [flags...]` a quick Stopwatch comparison of the full data-sync apply with the official-shaped peer,
// `store-memory` prints what a 10,000-flag store retains, `push-latency` the push-to-visible latency, `poll-latency` the
// change-to-visible latency when polling every second, `failover-time` the start-to-Ready time when WebSockets are refused, `events-outage`
// the callers' latency and memory while the event endpoint is down, `load [seconds] [patches/s] [pairs]` the throughput of 16
// evaluating threads with and without patches streaming in, `regex-attack [seconds]` ordinary request latency while attackers
// send keys crafted against a catastrophic regex rule (before and after hardening), `redis-propagation [changes] [flags]` the
// writer-to-daemon latency through Redis, `redis-cold-start [instances] [flags]` fleet cold starts from FeatBit versus from Redis
// (both start their own redis-server), `ready-time [starts] [flags]` start-to-Ready with a breakdown of its phases,
// `ready-time-process [starts] [flags]` process-start-to-Ready in fresh processes, `rollout-timing [processes]` the
// rollout and all-flags calls beside a measure of the core's speed, one process per line; anything else goes to BenchmarkDotNet
// (e.g. `--filter *EvaluationBenchmarks*`); see docs/performance.md.
if (RolloutTiming.IsChild(args))
{
    RolloutTiming.Child();
    return;
}

if (args is ["rollout-timing", .. var rolloutArgs])
{
    await RolloutTiming.RunAsync(rolloutArgs);
    return;
}

if (TimeToReady.IsChild(args))
{
    await TimeToReady.ChildAsync(args, mainStarted);
    return;
}

if (args is ["ready-time", .. var readyArgs])
{
    await TimeToReady.RunAsync(readyArgs);
    return;
}

if (args is ["ready-time-process", .. var processArgs])
{
    await TimeToReady.RunProcessesAsync(processArgs);
    return;
}

if (args is ["sync-timing", .. var timingArgs])
{
    SyncTiming.Run(timingArgs);
    return;
}

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

if (args is ["poll-latency"])
{
    await TransportTiming.PollLatencyAsync();
    return;
}

if (args is ["failover-time"])
{
    await TransportTiming.FailoverTimeAsync();
    return;
}

if (args is ["events-outage"])
{
    await EventsOutage.RunAsync();
    return;
}

if (args is ["regex-attack", .. var attackArgs])
{
    RegexAttack.Run(attackArgs);
    return;
}

if (args is ["redis-propagation", .. var propagationArgs])
{
    await FeatureFlags.Benchmarks.Redis.RedisFleet.PropagationAsync(propagationArgs);
    return;
}

if (args is ["redis-cold-start", .. var coldStartArgs])
{
    await FeatureFlags.Benchmarks.Redis.RedisFleet.ColdStartAsync(coldStartArgs);
    return;
}

if (args is ["load", .. var loadArgs])
{
    LoadRun.Run(loadArgs);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
