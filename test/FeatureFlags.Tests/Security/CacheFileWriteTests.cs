using System.Text;
using FeatureFlags.Cache.Internal;
using FeatureFlags.DataSystem;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Security;

/// <summary>
/// Writing the last-known-good cache (issue 14, item 5): it holds full targeting data (user keys, e-mails, rule
/// values), so it is owner-only on Unix; the temporary file has a unique name and is created new, so a link planted at
/// a predictable name is never followed; it is flushed before the rename, and cleaned up on failure and at start.
/// </summary>
public sealed class CacheFileWriteTests : IDisposable
{
    private const long V1 = 1_700_000_000_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("featureflags-cache-").FullName;
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Write_LinkPlantedAtTheOldTemporaryName_DoesNotOverwriteItsTarget()
    {
        var cache = Path.Combine(_directory, "cache.json");
        var victim = Path.Combine(_directory, "victim.txt");
        await File.WriteAllTextAsync(victim, "precious", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(cache + ".tmp", victim);

        await WriteServerDataAsync(cache);

        Assert.Equal("precious", await File.ReadAllTextAsync(victim, TestContext.Current.CancellationToken));
        Assert.Equal("flag-a", Assert.Single(WireJson.ReadDataSync(await File.ReadAllBytesAsync(cache, TestContext.Current.CancellationToken)).FeatureFlags!.Items).Key);
    }

    [Fact]
    public async Task Write_CacheFile_IsReadableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes are a Unix feature.");
            return;
        }

        var cache = Path.Combine(_directory, "cache.json");
        await File.WriteAllTextAsync(cache, "{}", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(cache, File.GetUnixFileMode(cache) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await WriteServerDataAsync(cache);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
    }

    [Fact]
    public async Task Start_StaleTemporaryFiles_AreDeleted_AndALinkNotItsTarget()
    {
        var cache = Path.Combine(_directory, "cache.json");
        var victim = Path.Combine(_directory, "victim.txt");
        await File.WriteAllTextAsync(victim, "precious", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_directory, ".cache.json.abc123.tmp"), "stale", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(cache + ".tmp", victim);

        await using var sp = Online(cache);
        await sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["victim.txt"], Directory.GetFileSystemEntries(_directory).Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Equal("precious", await File.ReadAllTextAsync(victim, TestContext.Current.CancellationToken));
        await sp.GetRequiredService<FlagDataSystem>().StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void WriteAtomically_RenameFails_DeletesTheTemporaryFile()
    {
        // The target is a directory: the rename fails after the temporary file was written.
        var target = Directory.CreateDirectory(Path.Combine(_directory, "cache.json")).FullName;

        Assert.ThrowsAny<IOException>(() => SafeFile.WriteAtomically(target, "{}"u8.ToArray(), static (stream, bytes) => stream.Write(bytes)));

        Assert.Equal(["cache.json"], Directory.GetFileSystemEntries(_directory).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public void WriteAtomically_WriterFailsHalfWay_LeavesTheTargetAsItWas_AndNoTemporaryFile()
    {
        var target = Path.Combine(_directory, "cache.json");
        File.WriteAllText(target, "old");

        var thrown = Assert.Throws<InvalidOperationException>(() => SafeFile.WriteAtomically(target, 0, static (stream, _) =>
        {
            stream.Write(new byte[100_000]);
            throw new InvalidOperationException("serialisation failed");
        }));

        Assert.Equal("serialisation failed", thrown.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(["cache.json"], Directory.GetFileSystemEntries(_directory).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public async Task LargeEnvironment_IsWrittenWithoutHoldingTheDocumentInMemory_AndReadsBackExactly()
    {
        const int flagCount = 3_000;
        var cache = Path.Combine(_directory, "cache.json");
        var options = Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { CacheFile = cache });
        var environment = EnvironmentIdentity.Of(FakeFeatBitServer.DefaultSecret);
        var json = "{\"eventType\":\"full\",\"featureFlags\":["
            + string.Join(",", Enumerable.Range(0, flagCount).Select(i => FakeFeatBitServer.BoolFlag($"flag-{i:D4}", i % 3 == 0, V1 + i).ToJsonString()))
            + "],\"segments\":[]}";
        using (var store = new FileFlagStore(options, _time, NullLogger<FileFlagStore>.Instance))
        {
            store.Save(environment, FlagDataSet.Parse(json));

            // The write runs on this thread: what it allocates is measured here.
            var before = GC.GetAllocatedBytesForCurrentThread();
            await store.FlushAsync(TestContext.Current.CancellationToken);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            var length = new FileInfo(cache).Length;
            Assert.True(length > 1_000_000, $"the file is {length} bytes");
            // The entities' own serialisation allocates (about 400 B each); the document itself is never held: buffering it
            // whole, as before, allocated more than three times its length (a growing stream, then a copy of it).
            Assert.True(allocated < length, $"Writing a {length}-byte cache file allocated {allocated} bytes.");
            TestContext.Current.SendDiagnosticMessage($"Writing a {length}-byte cache file allocated {allocated} bytes.");
        }

        using var reader = new FileFlagStore(options, _time, NullLogger<FileFlagStore>.Instance);
        var loaded = await reader.LoadAsync(environment, TestContext.Current.CancellationToken);
        Assert.NotNull(loaded);
        Assert.Equal(flagCount, loaded.Data.FlagCount);
        Assert.Equal(
            FlagDataSet.Parse(json).Payload.FeatureFlags!.Items.Select(f => (f.Key, f.UpdatedAt)).OrderBy(f => f.Key, StringComparer.Ordinal),
            loaded.Data.Payload.FeatureFlags!.Items.Select(f => (f.Key, f.UpdatedAt)).OrderBy(f => f.Key, StringComparer.Ordinal));
        Assert.StartsWith("{\"messageType\":\"data-sync\",\"environment\":\"" + environment + "\",\"data\":{", File.ReadAllText(cache), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteAtomically_ReplacesALinkAtTheTarget_NotWhatItPointsTo()
    {
        var target = Path.Combine(_directory, "cache.json");
        var victim = Path.Combine(_directory, "victim.txt");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(target, victim);

        var length = SafeFile.WriteAtomically(target, Encoding.UTF8.GetBytes("new"), static (stream, bytes) => stream.Write(bytes));

        Assert.Equal(3, length);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Null(new FileInfo(target).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
    }

    private async Task WriteServerDataAsync(string cache)
    {
        await using var sp = Online(cache);
        var sync = sp.GetRequiredService<FlagDataSystem>();
        await sync.StartAsync(TestContext.Current.CancellationToken);
        var message = "{\"messageType\":\"data-sync\",\"data\":{\"eventType\":\"full\",\"featureFlags\":[" + FakeFeatBitServer.BoolFlag("flag-a", true, V1).ToJsonString() + "],\"segments\":[]}}";
        sync.Apply(FeatureFlags.DataSystem.FlagDataSet.Parse(message));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Id.Id == 5053);
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 5052);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    private ServiceProvider Online(string cache) => SecurityHost.Build(
        new()
        {
            ["FeatureFlags:EnvSecret"] = SecurityHost.Secret,
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
            ["FeatureFlags:Streaming:Uri"] = "ws://127.0.0.1:1",
            ["FeatureFlags:Events:Enabled"] = "false",
            ["FeatureFlags:CacheFile"] = cache,
        },
        _logs,
        _time);
}
