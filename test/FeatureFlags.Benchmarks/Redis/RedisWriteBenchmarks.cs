using System.Text;
using BenchmarkDotNet.Attributes;
using FeatureFlags.DataSystem;
using FeatureFlags.Redis;
using FeatureFlags.Redis.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks.Redis;

/// <summary>
/// What the Redis writer does after each change in a 3,000-flag environment (a 4.3 MB state): a one-flag patch is
/// saved, and the flush appends the patch beside the stored data on a real <c>redis-server</c> (loopback, its own
/// process) in one script, or, once in every 65 changes, writes the whole state with the patches folded in (the mean
/// includes those). Allocation is counted for the whole process, the writer's background loop included.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class RedisWriteBenchmarks : IDisposable
{
    private const int FlagCount = 3_000;
    private RedisProcess _redis = null!;
    private RedisConnection _connection = null!;
    private RedisFlagStore _store = null!;
    private string _environment = null!;
    private long _version = 1_700_000_100_000;

    [GlobalSetup]
    public void Setup()
    {
        _redis = RedisProcess.StartAsync().GetAwaiter().GetResult();
        var options = Options.Create(new FeatureFlagsRedisOptions { ConnectionString = _redis.ConnectionString, Mode = RedisStoreMode.Writer });
        _connection = new RedisConnection(options);
        _store = new RedisFlagStore(_connection, options, TimeProvider.System, NullLogger<RedisFlagStore>.Instance);
        _environment = EnvironmentIdentity.Of("benchmark-secret-benchmark-secret-0000");
        _store.Save(_environment, FlagDataSet.Parse(SyncData.FullMessage(FlagCount)));
        _store.FlushAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.Dispose();
        _connection.Dispose();
        _redis.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void WriteAfterAChange3k()
    {
        _store.Save(_environment, FlagDataSet.Parse(Encoding.UTF8.GetBytes(SyncData.Envelope("patch", [SyncData.Flag(42, ++_version)]))));
        _store.FlushAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }
}
