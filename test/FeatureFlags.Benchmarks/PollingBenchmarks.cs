using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// What a poll's response costs once it is read, against a 1,000-flag environment: an unchanged poll (FeatBit answers
/// 200 with an empty body) should be near zero work and allocate nothing; a full poll parses, compiles and swaps
/// everything. The HTTP exchange itself is not measured (see <c>poll-latency</c>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class PollingBenchmarks : IDisposable
{
    private const int FlagCount = 1_000;
    private static readonly ReadOnlySequence<byte> Empty = ReadOnlySequence<byte>.Empty;
    private ReadOnlySequence<byte> _full;
    private PollingDataSource _source = null!;
    private FlagDataSystem _dataSystem = null!;
    private ServiceProvider _services = null!;
    private long _cursor;

    [GlobalSetup]
    public void Setup()
    {
        _full = new(Encoding.UTF8.GetBytes(SyncData.Envelope("full", Enumerable.Range(0, FlagCount).Select(i => SyncData.Flag(i, 1_700_000_000_000 + i)))));
        var options = Options.Create(new FeatureFlagsOptions { EnvSecret = "benchmark-secret-benchmark-secret-0000", DataSync = DataSyncMode.Polling });
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        _source = new PollingDataSource(_services.GetRequiredService<IHttpClientFactory>(), options, TimeProvider.System, NullLogger<PollingDataSource>.Instance);
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        var status = new StatusProvider(TimeProvider.System, NullLogger<StatusProvider>.Instance);
        _dataSystem = new FlagDataSystem(options, store, status, TimeProvider.System, NullLogger<FlagDataSystem>.Instance, _source);
        _source.Process(_full, 0, _dataSystem, CancellationToken.None);
        _cursor = _dataSystem.Cursor;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _dataSystem.Dispose();
        _services.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int UnchangedPoll1k() => (int)_source.Process(Empty, _cursor, _dataSystem, CancellationToken.None).Outcome;

    [Benchmark]
    public int FullPoll1k() => (int)_source.Process(_full, 0, _dataSystem, CancellationToken.None).Outcome;
}
