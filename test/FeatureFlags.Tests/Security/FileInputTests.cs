using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.Security;

/// <summary>
/// Hostile bootstrap and cache files (issue 14, item 4): only regular files are read (a link to one is fine), never
/// more than <see cref="FeatureFlagsOptions.MaxFileSize"/>; at start such a file fails start-up at once, on a live
/// reload the last good flags keep serving, and a cache file is ignored.
/// </summary>
public sealed class FileInputTests : IDisposable
{
    private const int UnreadableOnReload = 5002;
    private const int CacheUnusable = 5051;
    private static readonly FlagUser User = FlagUser.Create("u");
    private readonly string _directory = Directory.CreateTempSubdirectory("featureflags-files-").FullName;
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Start_BootstrapLinkedToDevZero_FailsAtOnceWithoutReadingIt()
    {
        SecurityHost.SkipUnlessUnix();
        var path = Path.Combine(_directory, "flags.json");
        File.CreateSymbolicLink(path, "/dev/zero");
        await using var sp = Offline(path);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        // Reading the device would allocate until the 2 GB array limit.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 * 1024 * 1024, "the device was read");
    }

    [Fact]
    public async Task Start_BootstrapIsFifo_FailsInsteadOfWaitingForAWriter()
    {
        SecurityHost.SkipUnlessUnix();
        var path = Path.Combine(_directory, "flags.json");
        SecurityHost.MakeFifo(path);
        await using var sp = Offline(path);

        // Opening a FIFO for reading blocks until a writer comes: the start must not get that far.
        var start = Task.Run(() => sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => start.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BootstrapLargerThanMaxFileSize_FailsNamingTheOption()
    {
        var path = Path.Combine(_directory, "flags.json");
        await File.WriteAllTextAsync(path, """{"flags":{"good":true},"padding":" """ + new string('x', 4096) + "\"}", TestContext.Current.CancellationToken);
        await using var sp = Offline(path, new() { ["FeatureFlags:MaxFileSize"] = "2048" });

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("larger than FeatureFlags:MaxFileSize (2048 bytes)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BootstrapSymlinkToRegularFile_Loads()
    {
        var target = Path.Combine(_directory, "real.json");
        await File.WriteAllTextAsync(target, """{"flags":{"good":true}}""", TestContext.Current.CancellationToken);
        var path = Path.Combine(_directory, "flags.json");
        File.CreateSymbolicLink(path, target);
        await using var sp = Offline(path);

        await sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken);

        Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("good", User));
    }

    [Theory]
    [InlineData("/dev/zero link")]
    [InlineData("FIFO")]
    [InlineData("too large")]
    [InlineData("directory")]
    public async Task Reload_WatchedFileSwappedForHostileFile_KeepsTheLastGoodFlags(string hostile)
    {
        if (hostile != "too large")
        {
            SecurityHost.SkipUnlessUnix();
        }

        var path = Path.Combine(_directory, "flags.json");
        await File.WriteAllTextAsync(path, """{"flags":{"good":true}}""", TestContext.Current.CancellationToken);
        await using var sp = Offline(path, new() { ["FeatureFlags:MaxFileSize"] = "2048" });
        var sync = sp.GetRequiredService<FlagDataSystem>();
        await sync.StartAsync(TestContext.Current.CancellationToken);
        var client = sp.GetRequiredService<IFeatureFlagClient>();

        File.Delete(path);
        switch (hostile)
        {
            case "/dev/zero link":
                File.CreateSymbolicLink(path, "/dev/zero");
                break;
            case "FIFO":
                SecurityHost.MakeFifo(path);
                break;
            case "too large":
                await File.WriteAllTextAsync(path, """{"flags":{"good":false},"padding":" """ + new string('x', 4096) + "\"}", TestContext.Current.CancellationToken);
                break;
            default:
                Directory.CreateDirectory(path);
                break;
        }

        var loaded = await Task.Run(() => sp.GetRequiredService<BootstrapFileSource>().Load(), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.False(loaded, hostile);
        Assert.True(client.BoolVariation("good", User), hostile);
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == UnreadableOnReload);
        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current;
        Assert.Equal(FeatureFlagsState.Ready, status.State);
        Assert.Contains("could not be read", status.BootstrapFileError, StringComparison.Ordinal);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ColdStart_CacheLinkedToDevZero_IsIgnored()
    {
        SecurityHost.SkipUnlessUnix();
        var cache = Path.Combine(_directory, "cache.json");
        File.CreateSymbolicLink(cache, "/dev/zero");
        await using var sp = SecurityHost.Build(
            new()
            {
                ["FeatureFlags:EnvSecret"] = SecurityHost.Secret,
                ["FeatureFlags:StartWaitTime"] = "00:00:00",
                ["FeatureFlags:Streaming:Uri"] = "ws://127.0.0.1:1",
                ["FeatureFlags:Events:Enabled"] = "false",
                ["FeatureFlags:CacheFile"] = cache,
            },
            _logs);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        var unusable = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == CacheUnusable);
        Assert.Contains("not a regular file", unusable.Message, StringComparison.Ordinal);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    public void Validate_MaxFileSizeBelow1024_FailsNamingTheKey(int size)
    {
        var result = new FeatureFlagsOptionsValidator().Validate(null, new FeatureFlagsOptions { Offline = true, MaxFileSize = size });

        Assert.True(result.Failed);
        Assert.Contains("FeatureFlags:MaxFileSize must be at least 1024", result.FailureMessage, StringComparison.Ordinal);
    }

    private ServiceProvider Offline(string path, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["FeatureFlags:Offline"] = "true", ["FeatureFlags:BootstrapFile"] = path };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return SecurityHost.Build(settings, _logs);
    }
}
