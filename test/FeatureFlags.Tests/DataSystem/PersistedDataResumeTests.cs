using FeatureFlags.DataSystem;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>
/// The cold-start rule of <see cref="PersistedFlagData"/>: the live source resumes from the stored cursor only when a
/// live source confirmed the data within <c>Streaming:FullResyncAfterOutage</c>; otherwise it asks for everything.
/// </summary>
public sealed class PersistedDataResumeTests
{
    private const long V0 = 1_700_000_000_000;

    [Fact]
    public async Task ConfirmedWithinFullResyncAfterOutage_ResumesFromTheStoredCursor()
    {
        await using var harness = await ResumeHarness.CreateAsync(confirmedAgo: TimeSpan.FromMinutes(4));
        await harness.Service.StartAsync(CancellationToken.None);

        Assert.Equal(FeatureFlagsState.Interrupted, harness.Status.Current.State);
        Assert.Equal(V0, harness.Service.Cursor);
        Assert.True(await harness.WaitReadyAsync());
        Assert.Equal([V0], harness.Server.DataSyncTimestamps);
        Assert.False(harness.Client.BoolVariation("a", FlagUser.Create("u"))); // the patch moved it on
    }

    [Fact]
    public async Task ConfirmedLongerAgo_AsksForEverything()
    {
        await using var harness = await ResumeHarness.CreateAsync(confirmedAgo: TimeSpan.FromMinutes(6));
        await harness.Service.StartAsync(CancellationToken.None);

        Assert.Equal(0, harness.Service.Cursor);
        Assert.True(await harness.WaitReadyAsync());
        Assert.Equal([0], harness.Server.DataSyncTimestamps);
    }

    [Fact]
    public async Task NoConfirmationTime_AsksForEverything()
    {
        await using var harness = await ResumeHarness.CreateAsync(confirmedAgo: null);
        await harness.Service.StartAsync(CancellationToken.None);

        Assert.True(await harness.WaitReadyAsync());
        Assert.Equal([0], harness.Server.DataSyncTimestamps);
    }

    [Fact]
    public void PersistedFlagData_RefusesAPatch()
        => Assert.Throws<ArgumentException>(() => new PersistedFlagData(FlagDataSet.Parse("""{"eventType":"patch","featureFlags":[],"segments":[]}""")));

    [Fact]
    public void WithChanges_UpsertsByVersion_AndAFullSetReplaces()
    {
        var full = Set("full", ("a", true, V0), ("b", true, V0));

        var patched = full.WithChanges(Set("patch", ("a", false, V0 + 1), ("b", false, V0 - 1), ("c", true, V0 + 2)));
        var patches = Set("patch", ("a", false, V0 + 1)).WithChanges(Set("patch", ("a", true, V0 + 3)));
        var replaced = patched.WithChanges(Set("full", ("z", true, V0 - 5)));

        Assert.True(patched.IsFull);
        Assert.Equal(3, patched.FlagCount);
        Assert.Equal(V0 + 2, patched.Version);
        Assert.Contains("\"key\":\"b\"", System.Text.Encoding.UTF8.GetString(patched.ToUtf8Json()), StringComparison.Ordinal);
        Assert.False(patches.IsFull);
        Assert.Equal(V0 + 3, patches.Version);
        Assert.Equal(1, replaced.FlagCount);
        Assert.Equal(V0 - 5, replaced.Version);
    }

    private static FlagDataSet Set(string eventType, params (string Key, bool Value, long Version)[] flags)
    {
        var array = new System.Text.Json.Nodes.JsonArray();
        foreach (var (key, value, version) in flags)
        {
            array.Add(FakeFeatBitServer.BoolFlag(key, value, version));
        }

        return FlagDataSet.Parse(new System.Text.Json.Nodes.JsonObject { ["eventType"] = eventType, ["featureFlags"] = array, ["segments"] = new System.Text.Json.Nodes.JsonArray() }.ToJsonString());
    }

    /// <summary>A store that holds one full data set confirmed at a given time.</summary>
    private sealed class FixedStore(PersistedFlagData? data) : IPersistentFlagStore
    {
        public ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken) => ValueTask.FromResult(data);

        public void Save(string environmentId, FlagDataSet data)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class ResumeHarness : DataSystemHarness
    {
        private ResumeHarness(FakeFeatBitServer server, FakeTimeProvider time, FeatureFlagsOptions options, FakeLogCollector logs, ILoggerFactory loggerFactory, IPersistentFlagStore store)
            : base(server, time, options, logs, loggerFactory, wrapped => new StreamingDataSource(wrapped, new ConnectionTokenProvider(time), time, loggerFactory), store)
        {
        }

        public static async Task<ResumeHarness> CreateAsync(TimeSpan? confirmedAgo)
        {
            var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(V0 + 600_000));
            var server = await FakeFeatBitServer.StartAsync(time);
            server.UpsertFlag(FakeFeatBitServer.BoolFlag("a", false, V0 + 10)); // changed after the stored copy
            var stored = new PersistedFlagData(Set("full", ("a", true, V0)), time.GetUtcNow() - confirmedAgo);
            var options = new FeatureFlagsOptions
            {
                EnvSecret = server.Secret,
                Streaming = { Uri = server.StreamingUri },
                StartWaitTime = TimeSpan.Zero,
                DataSync = DataSyncMode.Streaming,
            };
            var logs = new FakeLogCollector();
            var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
            return new ResumeHarness(server, time, options, logs, loggerFactory, new FixedStore(stored));
        }
    }
}
