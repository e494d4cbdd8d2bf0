using BenchmarkDotNet.Attributes;
using FeatureFlags.Cache.Internal;
using FeatureFlags.DataSystem;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// One write of the last-known-good cache file (<c>FeatureFlags:CacheFile</c>) for a 3,000-flag environment (a 4.3 MB
/// data-sync): the entities recorded, serialised with the environment's identity, written to a temporary file, flushed
/// to disk and renamed over the file. This happens about a second after every change when a cache file is configured.
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
}
