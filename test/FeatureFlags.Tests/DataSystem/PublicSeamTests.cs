using FeatureFlags.DataSystem;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>The data system's public seams (issue 15, item 3), used the way an app or a package would: DI only.</summary>
public sealed class PublicSeamTests
{
    private const string Full = """{"eventType":"full","featureFlags":[{"id":"3f2c1a5e-0000-0000-0000-000000000001","key":"from-source","variationType":"boolean","variations":[{"id":"on","value":"true"},{"id":"off","value":"false"}],"targetUsers":[],"rules":[],"isEnabled":true,"disabledVariationId":"off","fallthrough":{"includedInExpt":false,"variations":[{"id":"on","rollout":[0,1],"exptRollout":1}]},"exptIncludeAllTargets":false,"isArchived":false,"updatedAt":"2024-05-01T10:11:12.915205Z"}],"segments":[]}""";

    [Fact]
    [Trait("Conformance", "STORE-09")]
    public async Task CustomDataSource_CommitsAndReportsReady_ThroughTheDataSystem()
    {
        var persisted = new RecordingStore();
        await using var sp = Build(b => b.UseDataSource(_ => new OneShotSource()).UsePersistentStore(_ => persisted));

        await StartAsync(sp);

        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>();
        Assert.True(await status.WaitForReadyAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken));
        Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("from-source", FlagUser.Create("u")));
        var saved = Assert.Single(persisted.Saved);
        Assert.True(saved.IsFull);
        Assert.Equal(1, saved.FlagCount);
        Assert.Equal(32, persisted.Environment!.Length);
    }

    [Fact]
    [Trait("Conformance", "STORE-09")]
    public async Task FailingDataSource_TurnsTheStatusOff_AndIsLogged()
    {
        var logs = new FakeLogCollector();
        await using var sp = Build(b => b.UseDataSource(_ => new ThrowingSource()), logs);

        await StartAsync(sp);
        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>();
        for (var i = 0; i < 500 && status.Current.State != FeatureFlagsState.Off; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, TestContext.Current.CancellationToken);
        }

        Assert.Equal(FeatureFlagsState.Off, status.Current.State);
        Assert.Contains("broken source", status.Current.LastError, StringComparison.Ordinal);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 2021);
    }

    [Fact]
    [Trait("Conformance", "STORE-09")]
    public async Task FailingPersistentStore_NeverBreaksSync()
    {
        var logs = new FakeLogCollector();
        await using var sp = Build(b => b.UseDataSource(_ => new OneShotSource()).UsePersistentStore(_ => new ThrowingStore()), logs);

        await StartAsync(sp);

        Assert.True(await sp.GetRequiredService<IFeatureFlagsStatusProvider>().WaitForReadyAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken));
        Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("from-source", FlagUser.Create("u")));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 2022 && r.Message.Contains("load", StringComparison.Ordinal));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 2022 && r.Message.Contains("save", StringComparison.Ordinal));
    }

    [Fact]
    public void FlagDataSet_ParsesTheEnvelopeOrTheDataObject_AndRoundTrips()
    {
        var bare = FlagDataSet.Parse(Full);
        var envelope = FlagDataSet.Parse(bare.ToUtf8Json());

        Assert.True(envelope.IsFull);
        Assert.Equal(bare.Version, envelope.Version);
        Assert.Equal(1_714_558_272_915, bare.Version); // microseconds truncated to the millisecond
        Assert.Throws<System.Text.Json.JsonException>(() => FlagDataSet.Parse("not json"));
    }

    [Fact]
    public void FlagDataSet_WriteUtf8Json_WritesTheSameBytesAsToUtf8Json_IntoTheCallersBuffer()
    {
        var data = FlagDataSet.Parse(Full);
        var destination = new System.Buffers.ArrayBufferWriter<byte>(initialCapacity: 16);
        System.Buffers.BuffersExtensions.Write(destination, "prefix"u8);

        data.WriteUtf8Json(destination);

        Assert.Equal([.. "prefix"u8, .. data.ToUtf8Json()], destination.WrittenSpan.ToArray());
        Assert.Throws<ArgumentNullException>(() => data.WriteUtf8Json(null!));
    }

    private static ServiceProvider Build(Action<IFeatureFlagsBuilder> configure, FakeLogCollector? logs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs ?? new FakeLogCollector())));
        configure(services.AddFeatureFlags(o =>
        {
            o.EnvSecret = "secret-secret-secret-secret-secret-secret-00";
            o.StartWaitTime = TimeSpan.Zero;
            o.Events.Enabled = false;
        }));
        return services.BuildServiceProvider();
    }

    private static async Task StartAsync(ServiceProvider sp)
    {
        foreach (var hosted in sp.GetServices<IHostedService>())
        {
            await hosted.StartAsync(TestContext.Current.CancellationToken);
        }
    }

    private sealed class OneShotSource : IFlagDataSource
    {
        public async Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
        {
            Assert.Equal(0, updates.Cursor);
            updates.Apply(FlagDataSet.Parse(Full));
            updates.UpdateStatus(FeatureFlagsState.Ready);
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private sealed class ThrowingSource : IFlagDataSource
    {
        public Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken) => throw new InvalidOperationException("broken source");
    }

    private sealed class RecordingStore : IPersistentFlagStore
    {
        public List<FlagDataSet> Saved { get; } = [];

        public string? Environment { get; private set; }

        public ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken) => ValueTask.FromResult<PersistedFlagData?>(null);

        public void Save(string environmentId, FlagDataSet data)
        {
            Environment = environmentId;
            Saved.Add(data);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class ThrowingStore : IPersistentFlagStore
    {
        public ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken) => throw new IOException("disk gone");

        public void Save(string environmentId, FlagDataSet data) => throw new IOException("disk gone");

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
