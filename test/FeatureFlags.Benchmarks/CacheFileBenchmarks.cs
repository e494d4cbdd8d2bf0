using BenchmarkDotNet.Attributes;
using FeatureFlags.Cache.Internal;
using FeatureFlags.DataSystem;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// The last-known-good cache file (<c>FeatureFlags:CacheFile</c>) of a 3,000-flag environment (a 4.3 MB data-sync).
/// <see cref="WriteCacheFile3k"/>: the entities recorded, serialised with the environment's identity, written to a
/// temporary file, flushed to disk and renamed over the file, about a second after every change.
/// <see cref="LoadCacheFile3k"/>: the file read, checked and parsed at a cold start.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class CacheFileBenchmarks : IDisposable
{
    private const int FlagCount = 3_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("ff-cache-bench-").FullName;
    private FileFlagStore _store = null!;
    private FlagDataSet _data = null!;
    private string _environment = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data = FlagDataSet.Parse(SyncData.FullMessage(FlagCount));
        _environment = EnvironmentIdentity.Of("benchmark-secret-benchmark-secret-0000");
        var options = Options.Create(new FeatureFlagsOptions { CacheFile = Path.Combine(_directory, "flags.json") });
        _store = new FileFlagStore(options, TimeProvider.System, NullLogger<FileFlagStore>.Instance);
        WriteCacheFile3k();
        if (LoadCacheFile3k()?.Data.FlagCount != FlagCount)
        {
            throw new InvalidOperationException("The cache file did not load.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void WriteCacheFile3k()
    {
        _store.Save(_environment, _data);
        _store.FlushAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public PersistedFlagData? LoadCacheFile3k() => _store.LoadAsync(_environment, CancellationToken.None).AsTask().GetAwaiter().GetResult();
}
