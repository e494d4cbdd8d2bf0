using System.Text;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
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
    public void WriteAllBytesAtomically_RenameFails_DeletesTheTemporaryFile()
    {
        // The target is a directory: the rename fails after the temporary file was written.
        var target = Directory.CreateDirectory(Path.Combine(_directory, "cache.json")).FullName;

        Assert.ThrowsAny<IOException>(() => SafeFile.WriteAllBytesAtomically(target, "{}"u8));

        Assert.Equal(["cache.json"], Directory.GetFileSystemEntries(_directory).Select(p => Path.GetFileName(p)!).ToArray());
    }

    [Fact]
    public void WriteAllBytesAtomically_ReplacesALinkAtTheTarget_NotWhatItPointsTo()
    {
        var target = Path.Combine(_directory, "cache.json");
        var victim = Path.Combine(_directory, "victim.txt");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(target, victim);

        SafeFile.WriteAllBytesAtomically(target, Encoding.UTF8.GetBytes("new"));

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
