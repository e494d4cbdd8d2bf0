using BenchmarkDotNet.Attributes;
using FeatureFlags.DataSystem;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks.Redis;

/// <summary>
/// Evaluation through a daemon-fed client (the snapshot built from Redis) against a client whose store was filled
/// directly: the same compiled snapshot, so the same cost. Needs <c>redis-server</c> on PATH.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[MemoryDiagnoser]
public class DaemonEvaluationBenchmarks
{
    private readonly FlagUser _user = FlagUser.Create("user-42");
    private RedisProcess? _redis;
    private RedisNode? _writer;
    private RedisNode? _daemon;
    private FeatureFlagClient _inMemory = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _daemon?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _writer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redis?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool InMemory() => _inMemory.BoolVariation("f7", _user);

    [Benchmark]
    public bool DaemonFed() => _daemon!.Client.BoolVariation("f7", _user);

    private async Task SetupAsync()
    {
        var json = RedisFleet.Message("full", RedisFleet.Flags(100, 1_700_000_000_000));
        var options = Options.Create(RedisNode.Options0(FakeFeatBitServer.DefaultSecret));
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        store.Apply(FlagDataSet.Parse(json).Payload);
        _inMemory = new FeatureFlagClient(store, options);

        _redis = await RedisProcess.StartAsync();
        var source = new ManualSource();
        _writer = RedisNode.ManualWriter(FakeFeatBitServer.DefaultSecret, _redis.ConnectionString, source);
        await _writer.Service.StartAsync(CancellationToken.None);
        (await source.Updates).Apply(FlagDataSet.Parse(json));
        _daemon = RedisNode.Daemon(FakeFeatBitServer.DefaultSecret, _redis.ConnectionString);
        await _daemon.Service.StartAsync(CancellationToken.None);
        if (!await _daemon.Status.WaitForReadyAsync(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("The daemon did not become ready: " + _daemon.Status.Current.LastError);
        }
    }
}
