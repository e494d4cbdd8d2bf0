using BenchmarkDotNet.Attributes;
using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// A cold start from a bootstrap file (<c>FeatureFlags:BootstrapFile</c>) holding a 3,000-flag FeatBit data-sync
/// (4.3 MB): the file read, checked, parsed and applied to a new store (also what each edit of a watched file costs).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class BootstrapFileBenchmarks : IDisposable
{
    private const int FlagCount = 3_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("ff-bootstrap-bench-").FullName;
    private IOptions<FeatureFlagsOptions> _options = null!;

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(_directory, "flags.json");
        File.WriteAllBytes(path, SyncData.FullMessage(FlagCount));
        _options = Options.Create(new FeatureFlagsOptions { BootstrapFile = path, Offline = false });
        if (LoadBootstrapFile3k() != FlagCount)
        {
            throw new InvalidOperationException("The bootstrap file did not load.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public int LoadBootstrapFile3k()
    {
        var store = new FlagStore(_options, NullLogger<FlagStore>.Instance);
        using var source = new BootstrapFileSource(_options, store, TimeProvider.System, NullLogger<BootstrapFileSource>.Instance);
        source.Start();
        return store.FlagKeys.Count;
    }
}
