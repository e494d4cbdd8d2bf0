using System.Buffers;
using System.Text;
using FeatureFlags.Cache.Internal;
using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Cache;

/// <summary>
/// The last-known-good cache file is read into pooled 16 KiB segments and parsed from them (issue 19, item 1): no array
/// of the file's size, the same limits as a whole read, and text split anywhere between segments.
/// </summary>
public sealed class CacheFileReadTests : IDisposable
{
    private const int CacheLoaded = 5050;
    private const int CacheUnusable = 5051;
    private const string Secret = "cache-read-secret-cache-read-secret-0000";
    private readonly string _directory = Directory.CreateTempSubdirectory("ff-cache-read-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(PooledMessageBuffer.SegmentSize - 1)]
    [InlineData(PooledMessageBuffer.SegmentSize)]
    [InlineData(PooledMessageBuffer.SegmentSize + 1)]
    [InlineData((3 * PooledMessageBuffer.SegmentSize) + 1234)]
    [InlineData(4 * PooledMessageBuffer.SegmentSize)]
    public void ReadInto_AnyLength_ReturnsTheFileByteForByte(int length)
    {
        var content = new byte[length];
        new Random(length).NextBytes(content);
        var path = Path.Combine(_directory, "bytes.bin");
        File.WriteAllBytes(path, content);
        using var buffer = new PooledMessageBuffer();

        var read = SafeFile.ReadInto(path, Math.Max(length, 1024), buffer);

        Assert.Equal(content, read.ToArray());
        Assert.Equal(length > PooledMessageBuffer.SegmentSize, !read.IsSingleSegment);
    }

    [Fact]
    public void ReadInto_AtAndPastTheLimit_ReadsUpToTheLimitAndRefusesMore()
    {
        var path = Path.Combine(_directory, "flags.json");
        using var buffer = new PooledMessageBuffer();

        File.WriteAllBytes(path, new byte[40_000]);
        Assert.Equal(40_000, SafeFile.ReadInto(path, 40_000, buffer).Length);
        Assert.Equal(40_000, SafeFile.ReadInto(path, 50_000, buffer).Length); // the buffer is emptied before each read
        Assert.Throws<IOException>(() => SafeFile.ReadInto(path, 39_999, buffer));
    }

    [Fact]
    public void ReadInto_NotARegularFile_IsRefused()
    {
        using var buffer = new PooledMessageBuffer();
        var empty = Path.Combine(_directory, "empty.json");
        File.WriteAllBytes(empty, []);

        Assert.Throws<FileNotFoundException>(() => SafeFile.ReadInto(_directory, 1024, buffer));
        Assert.Throws<FileNotFoundException>(() => SafeFile.ReadInto(Path.Combine(_directory, "missing.json"), 1024, buffer));
        Assert.Throws<IOException>(() => SafeFile.ReadInto(empty, 1024, buffer));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Throws<IOException>(() => SafeFile.ReadInto("/dev/zero", 1024, buffer));
        }
    }

    [Fact]
    public async Task Load_AFileOfManySegmentsWithCharsAcrossTheirEdges_ReturnsEveryFlag()
    {
        // Keys of two-, three- and four-byte chars: over 300 KB of them, so some char is cut by a segment's end.
        var keys = Enumerable.Range(0, 3_000).Select(i => $"größe-€-😀-{i:D4}").ToArray();
        var path = Path.Combine(_directory, "cache.json");
        await SaveAsync(path, keys);
        Assert.True(new FileInfo(path).Length > 20 * PooledMessageBuffer.SegmentSize);

        var logs = new FakeLogCollector();
        using var store = Store(path, logs);
        var loaded = await store.LoadAsync(EnvironmentIdentity.Of(Secret), TestContext.Current.CancellationToken);

        Assert.NotNull(loaded);
        Assert.Equal(keys.Length, loaded.Data.FlagCount);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == CacheLoaded);
    }

    [Fact]
    public async Task Load_InvalidUtf8InALaterSegment_IsUnusableNamingThePlace()
    {
        var path = Path.Combine(_directory, "cache.json");
        await SaveAsync(path, [.. Enumerable.Range(0, 400).Select(i => $"flag-{i:D4}")]);
        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        var position = Encoding.UTF8.GetString(bytes).IndexOf("flag-0300", StringComparison.Ordinal);
        Assert.True(position > 2 * PooledMessageBuffer.SegmentSize);
        bytes[position] = 0xFF; // not a UTF-8 byte anywhere
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

        var logs = new FakeLogCollector();
        using var store = Store(path, logs);

        Assert.Null(await store.LoadAsync(EnvironmentIdentity.Of(Secret), TestContext.Current.CancellationToken));
        var unusable = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == CacheUnusable);
        Assert.Contains("line 1, byte", unusable.Message, StringComparison.Ordinal);
    }

    private static FileFlagStore Store(string path, FakeLogCollector logs)
        => new(
            Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { CacheFile = path }),
            new FakeTimeProvider(),
            new FakeLogger<FileFlagStore>(logs));

    /// <summary>Writes the cache file the way a previous run of the app would have (through the file store).</summary>
    private static async Task SaveAsync(string path, string[] keys)
    {
        using var store = Store(path, new FakeLogCollector());
        var json = "{\"eventType\":\"full\",\"featureFlags\":[" + string.Join(",", keys.Select(k => FakeFeatBitServer.BoolFlag(k, true, 1_700_000_000_000).ToJsonString())) + "],\"segments\":[]}";
        store.Save(EnvironmentIdentity.Of(Secret), FlagDataSet.Parse(json));
        await store.FlushAsync(TestContext.Current.CancellationToken);
    }
}
