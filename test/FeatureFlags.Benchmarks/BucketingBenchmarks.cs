using System.Globalization;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Evaluation.Internal;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// The bucket hash on its own (issue 19 items 3 and 4): one key through <see cref="Bucketing.GetBucket(ReadOnlySpan{char}, ReadOnlySpan{char})"/>
/// (encode + one-block first-word MD5 + mapping), the compression alone, and sixteen prepared keys through each
/// multi-buffer kernel. The multi-buffer results are per hash (<c>OperationsPerInvoke = 16</c>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class BucketingBenchmarks
{
    private const string FlagKey = "new-search-5050";
    private const int Lanes = Md5Lanes.Count;

    private readonly int[] _results = new int[Lanes];
    private string[] _userKeys = null!;
    private Md5Block _block;
    private BucketKeyPrefix _prefix = null!;
    private Md5Lanes _lanes;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _userKeys = [.. Enumerable.Range(0, 1000).Select(i => string.Create(CultureInfo.InvariantCulture, $"user-{i:D5}"))];
        if (!Md5Block.TryWriteAsciiKey(FlagKey, _userKeys[0], out _block))
        {
            throw new InvalidOperationException("The benchmark key must fit one block.");
        }

        _prefix = BucketKeyPrefix.TryCreate(FlagKey) ?? throw new InvalidOperationException("The benchmark flag key must have a prefix.");
        for (var lane = 0; lane < Lanes; lane++)
        {
            Md5Block.TryWriteAsciiKey(FlagKey, _userKeys[lane], out var block);
            _lanes.SetLane(lane, block);
        }
    }

    /// <summary>Flag key + user key to bucket: ASCII narrowing into the block, padding, first-word MD5, mapping.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Single")]
    public double GetBucket()
    {
        var i = _next;
        _next = i == _userKeys.Length - 1 ? 0 : i + 1;
        return Bucketing.GetBucket(FlagKey, _userKeys[i]);
    }

    /// <summary>
    /// The same key through the flag's <see cref="BucketKeyPrefix"/> (what an evaluation takes): only the user's bytes are
    /// written, and the steps that read only the flag key's whole words were done when the flag was compiled.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public double GetBucketWithPrefix()
    {
        var i = _next;
        _next = i == _userKeys.Length - 1 ? 0 : i + 1;
        return _prefix.TryGetFirstWord(_userKeys[i], out var word) ? Bucketing.ToBucket(word) : -1;
    }

    /// <summary>The same key through the general path (UTF-8 encoder into a stack buffer, then the block): what the ASCII block saves.</summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public double GetBucketGeneralPath()
    {
        var i = _next;
        _next = i == _userKeys.Length - 1 ? 0 : i + 1;
        return Bucketing.GetBucket(FlagKey, _userKeys[i], []);
    }

    /// <summary>The first-word compression of a prepared block (61 of MD5's 64 steps).</summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public int CompressFirstWord() => _block.HashFirstInt32();

    [Benchmark(OperationsPerInvoke = Lanes)]
    [BenchmarkCategory("MultiBuffer")]
    public int Lanes16Scalar() => Hash(Md5Kernel.Scalar);

    [Benchmark(OperationsPerInvoke = Lanes)]
    [BenchmarkCategory("MultiBuffer")]
    public int Lanes16Vector128() => Hash(Md5Kernel.Vector128);

    [Benchmark(OperationsPerInvoke = Lanes)]
    [BenchmarkCategory("MultiBuffer")]
    public int Lanes16Vector256() => Hash(Md5Kernel.Vector256);

    [Benchmark(OperationsPerInvoke = Lanes)]
    [BenchmarkCategory("MultiBuffer")]
    public int Lanes16Vector256Avx512() => Hash(Md5MultiBuffer.IsSupported(Md5Kernel.Vector256Avx512) ? Md5Kernel.Vector256Avx512 : Md5Kernel.Vector256);

    [Benchmark(OperationsPerInvoke = Lanes)]
    [BenchmarkCategory("MultiBuffer")]
    public int Lanes16Vector512() => Hash(Md5MultiBuffer.IsSupported(Md5Kernel.Vector512) ? Md5Kernel.Vector512 : Md5MultiBuffer.BestKernel);

    /// <summary>Writing sixteen keys into the transposed lanes and hashing them: the all-flags path's hashing cost per key.</summary>
    [Benchmark(OperationsPerInvoke = Lanes)]
    [BenchmarkCategory("MultiBuffer")]
    public int Lanes16WithKeys()
    {
        var batch = default(BucketBatch);
        var pending = new PendingRollout(PendingRollout.Fallthrough, string.Empty);
        for (var lane = 0; lane < Lanes; lane++)
        {
            batch.TryAdd(lane, _prefix, pending with { DispatchValue = _userKeys[lane] });
        }

        Span<int> bucketWords = stackalloc int[Lanes];
        batch.HashFirstWords(bucketWords, Md5MultiBuffer.BestKernel);
        return bucketWords[Lanes - 1] > 0 ? 1 : 0;
    }

    private int Hash(Md5Kernel kernel)
    {
        Md5MultiBuffer.HashFirstWords(ref _lanes, Lanes, _results, kernel);
        return _results[Lanes - 1];
    }
}
