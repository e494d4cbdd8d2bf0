using FeatureFlags.Cache.Internal;
using FeatureFlags.DataSystem;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>Caches that can't lie (issue 15, item 4): stamped with the environment, reconciled before Ready.</summary>
public sealed class CacheIdentityTests : IDisposable
{
    private const long V1 = 1_700_000_000_000;
    private const int OtherEnvironment = 5054;
    private readonly string _directory = Directory.CreateTempSubdirectory("ff-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [Trait("Conformance", "STORE-08")]
    public async Task ColdStartFromCache_AsksForEverything_AndDeletionsMadeMeanwhileAreReconciled()
    {
        var cache = Path.Combine(_directory, "cache.json");
        await using var h = await SyncHarness.CreateAsync(o => o.CacheFile = cache);
        await WriteCacheAsync(cache, h.Server.Secret, FakeFeatBitServer.BoolFlag("kept", true, V1), FakeFeatBitServer.BoolFlag("deleted-while-down", true, V1 + 5));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("kept", true, V1)); // the server no longer has the other flag

        await h.StartAndSyncAsync();

        Assert.Equal([0L], h.Server.DataSyncTimestamps); // not the cache's cursor (V1 + 5): a patch can't carry the deletion
        Assert.True(h.Store.ContainsFlag("kept"));
        Assert.False(h.Store.ContainsFlag("deleted-while-down"));
    }

    [Fact]
    [Trait("Conformance", "STORE-08")]
    public async Task ColdStartFromCache_ServerUnreachable_ServesTheCacheAsStale()
    {
        var cache = Path.Combine(_directory, "cache.json");
        await using var h = await SyncHarness.CreateAsync(o => o.CacheFile = cache);
        await WriteCacheAsync(cache, h.Server.Secret, FakeFeatBitServer.BoolFlag("cached", true, V1));
        await h.Server.StopAsync();

        await h.Service.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(h.Client.BoolVariation("cached", FlagUser.Create("u")));
        Assert.Equal(FeatureFlagsState.Interrupted, h.Status.Current.State);
        Assert.Equal(0, h.Service.Cursor); // the first sync will reconcile everything
    }

    [Fact]
    [Trait("Conformance", "STORE-08")]
    public async Task CacheOfAnotherEnvironment_IsIgnoredWithALogLine()
    {
        var cache = Path.Combine(_directory, "cache.json");
        await using var h = await SyncHarness.CreateAsync(o => o.CacheFile = cache);
        await WriteCacheAsync(cache, "the-secret-of-another-environment-0000000000", FakeFeatBitServer.BoolFlag("cached", true, V1));
        await h.Server.StopAsync();

        await h.Service.StartAsync(TestContext.Current.CancellationToken);

        Assert.False(h.Client.BoolVariation("cached", FlagUser.Create("u")));
        Assert.Equal(FeatureFlagsState.Initializing, h.Status.Current.State);
        var line = Assert.Single(h.Logs.GetSnapshot(), r => r.Id.Id == OtherEnvironment);
        Assert.Contains("another environment", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Server.Secret, line.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "STORE-08")]
    public async Task CacheWithoutAnIdentity_IsIgnored()
    {
        var cache = Path.Combine(_directory, "cache.json");
        await using var h = await SyncHarness.CreateAsync(o => o.CacheFile = cache);
        var legacy = "{\"messageType\":\"data-sync\",\"data\":{\"eventType\":\"full\",\"featureFlags\":[" + FakeFeatBitServer.BoolFlag("cached", true, V1).ToJsonString() + "],\"segments\":[]}}";
        await File.WriteAllTextAsync(cache, legacy, TestContext.Current.CancellationToken);
        await h.Server.StopAsync();

        await h.Service.StartAsync(TestContext.Current.CancellationToken);

        Assert.False(h.Client.BoolVariation("cached", FlagUser.Create("u")));
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == OtherEnvironment && r.Message.Contains("no environment identity", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrittenCache_CarriesTheIdentity_NotTheSecret()
    {
        var cache = Path.Combine(_directory, "cache.json");
        const string Secret = "v3faJy3RCUO8d-EJiVdN6waRfGjfNan02Ms9c0LiTD6w";

        await WriteCacheAsync(cache, Secret, FakeFeatBitServer.BoolFlag("cached", true, V1));

        var text = await File.ReadAllTextAsync(cache, TestContext.Current.CancellationToken);
        Assert.Contains($"\"environment\":\"{EnvironmentIdentity.Of(Secret)}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
    }

    /// <summary>Writes the cache file the way a previous run of the app would have (through the file store).</summary>
    private static async Task WriteCacheAsync(string path, string secret, params System.Text.Json.Nodes.JsonObject[] flags)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new FeatureFlagsOptions { CacheFile = path });
        using var store = new FileFlagStore(options, new FakeTimeProvider(), NullLogger<FileFlagStore>.Instance);
        var json = "{\"eventType\":\"full\",\"featureFlags\":[" + string.Join(",", flags.Select(f => f.ToJsonString())) + "],\"segments\":[]}";
        store.Save(EnvironmentIdentity.Of(secret), FlagDataSet.Parse(json));
        await store.FlushAsync(TestContext.Current.CancellationToken);
    }
}
