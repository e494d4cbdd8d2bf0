using System.Diagnostics.Metrics;
using System.Net;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Telemetry.Internal;
using FeatureFlags.Tests.Events;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Telemetry;

/// <summary>
/// The SDK's instruments as the container wires them (<c>AddFeatureFlags</c>, the container's <see cref="IMeterFactory"/>),
/// recorded by a real sync session against the in-process FeatBit server and a real event pipeline.
/// </summary>
[Collection(TelemetryGroup.Name)]
public sealed class FeatureFlagsMetricsTests
{
    private const long V1 = 1_700_000_000_000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ApplyCost = TimeSpan.FromMilliseconds(5);

    [Fact]
    public async Task AddFeatureFlags_MeterFromTheContainersFactory_SharedByStoreAndClient()
    {
        await using var h = await SdkHost.CreateAsync();

        Assert.Equal(FeatureFlagsTelemetry.MeterName, h.Metrics.Meter.Name);
        Assert.Same(h.Services.GetRequiredService<IMeterFactory>(), h.Metrics.Meter.Scope);
        Assert.Same(h.Metrics, h.Store.Metrics);
        Assert.Same(h.Store, ((FeatureFlagClient)h.Client).Store);
    }

    [Fact]
    public async Task FirstSession_CountsOneConnectAndRecordsTheFullDataSync()
    {
        await using var h = await SdkHost.CreateAsync();
        using var connects = h.Collect<long>("featureflags.sync.connects");
        using var reconnects = h.Collect<long>("featureflags.sync.reconnects");
        using var apply = h.Collect<double>("featureflags.sync.apply.duration");
        using var visible = h.Collect<double>("featureflags.sync.push_to_visible.duration");
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        await h.StartAndSyncAsync();
        await apply.WaitForMeasurementsAsync(1, Wait);
        await visible.WaitForMeasurementsAsync(1, Wait);

        Assert.Equal(1, Assert.Single(connects.GetMeasurementSnapshot()).Value);
        Assert.Empty(reconnects.GetMeasurementSnapshot());
        AssertDataSync(apply, "full");
        AssertDataSync(visible, "full");
    }

    [Fact]
    public async Task Push_Patch_RecordsApplyDurationAndPushToVisibleLatency()
    {
        await using var h = await SdkHost.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        using var apply = h.Collect<double>("featureflags.sync.apply.duration");
        using var visible = h.Collect<double>("featureflags.sync.push_to_visible.duration");

        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1), TestContext.Current.CancellationToken);
        await apply.WaitForMeasurementsAsync(1, Wait);
        await visible.WaitForMeasurementsAsync(1, Wait);

        Assert.False(h.Client.BoolVariation("flag-a", FlagUser.Create("u"), true));
        AssertDataSync(apply, "patch");
        AssertDataSync(visible, "patch");
    }

    [Fact]
    [Trait("Conformance", "SYNC-08")]
    public async Task ServerClose1011_CountsFailureReconnectAndSecondConnect()
    {
        await using var h = await SdkHost.CreateAsync();
        using var connects = h.Collect<long>("featureflags.sync.connects");
        using var reconnects = h.Collect<long>("featureflags.sync.reconnects");
        using var failures = h.Collect<long>("featureflags.sync.failures");
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.EnqueueScript(ConnectionScript.CloseWith1011AfterAccept);

        await h.Sync.StartAsync(CancellationToken.None);
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, "a reconnect and a sync");

        var failure = Assert.Single(failures.GetMeasurementSnapshot());
        Assert.Equal((1L, "closed_by_server"), (failure.Value, failure.Tags["error.type"]));
        Assert.Equal(1, Assert.Single(reconnects.GetMeasurementSnapshot()).Value);
        Assert.Equal(2, connects.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    [Trait("Conformance", "SYNC-05")]
    public async Task Reject4003_CountsRejectedFailureAndNoReconnect()
    {
        await using var h = await SdkHost.CreateAsync();
        using var reconnects = h.Collect<long>("featureflags.sync.reconnects");
        using var failures = h.Collect<long>("featureflags.sync.failures");
        h.Server.EnqueueScript(ConnectionScript.RejectWith4003);

        await h.Sync.StartAsync(CancellationToken.None);
        for (var i = 0; i < 1000 && h.Status.Current.State != FeatureFlagsState.Off; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System, TestContext.Current.CancellationToken);
        }

        // Before RetryAfterRejection (1 min) passes, nothing reconnects.
        h.Time.Advance(TimeSpan.FromSeconds(50));

        var failure = Assert.Single(failures.GetMeasurementSnapshot());
        Assert.Equal("rejected", failure.Tags["error.type"]);
        Assert.Empty(reconnects.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Stop_OwnShutdown_IsNotAFailure()
    {
        await using var h = await SdkHost.CreateAsync();
        using var failures = h.Collect<long>("featureflags.sync.failures");
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        using var timeout = new CancellationTokenSource(Wait);
        await h.Sync.StopAsync(timeout.Token);

        Assert.Empty(failures.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task FlagsInStore_ObservableGauge_CountsLiveFlags()
    {
        await using var h = await SdkHost.CreateAsync();
        using var flags = h.Collect<int>("featureflags.store.flags");
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-b", true, V1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("gone", true, V1, archived: true));

        flags.RecordObservableInstruments();
        Assert.Equal(0, flags.LastMeasurement!.Value);

        await h.StartAndSyncAsync();
        flags.RecordObservableInstruments();
        Assert.Equal(2, flags.LastMeasurement!.Value);
    }

    [Fact]
    [Trait("Conformance", "DLV-02")]
    public async Task Events_ObservableCounters_ReadTheProcessorsCounts()
    {
        await using var h = await EventHarness.CreateAsync(o => o.Events.BufferCapacity = 2);
        using var metrics = new FeatureFlagsMetrics(events: h.Processor);
        using var sent = new MetricCollector<long>(metrics.Meter, "featureflags.events.sent");
        using var failed = new MetricCollector<long>(metrics.Meter, "featureflags.events.failed");
        using var dropped = new MetricCollector<long>(metrics.Meter, "featureflags.events.dropped");
        using var invalid = new MetricCollector<long>(metrics.Meter, "featureflags.events.invalid");
        var user = FlagUser.Create("u");

        h.Server.Script(HttpStatusCode.BadRequest);
        h.Client.Track(user, "refused");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);
        h.Client.Track(user, "accepted");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);
        h.Client.Track(user, "a");
        h.Client.Track(user, "b");
        h.Client.Track(user, "over capacity");
        h.Client.Track(user, " ");

        foreach (var collector in new[] { sent, failed, dropped, invalid })
        {
            collector.RecordObservableInstruments();
        }

        Assert.Equal((1L, 1L, 1L, 1L),
            (sent.LastMeasurement!.Value, failed.LastMeasurement!.Value, dropped.LastMeasurement!.Value, invalid.LastMeasurement!.Value));
        Assert.Equal((h.Processor.Sent, h.Processor.Failed, h.Processor.Dropped, h.Processor.Invalid), (1L, 1L, 1L, 1L));
    }

    [Fact]
    [Trait("Conformance", "API-06")]
    public async Task EveryTagAndEvent_NeverCarriesTheSecret()
    {
        await using var h = await SdkHost.CreateAsync();
        var values = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, h.Metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            lock (values)
            {
                foreach (var tag in tags)
                {
                    values.Add($"{tag.Key}={tag.Value}");
                }
            }
        }

        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<int>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();
        using var capture = new TelemetryCapture();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.EnqueueScript(ConnectionScript.CloseWith1011AfterAccept);

        await h.Sync.StartAsync(CancellationToken.None);
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, "a reconnect and a sync");
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1), TestContext.Current.CancellationToken);
        using (var activity = capture.Start())
        {
            h.Client.BoolVariation("flag-a", FlagUser.Create("u"));
            h.Client.BoolVariation("missing", FlagUser.Create("u"));
            values.AddRange(activity.Events.SelectMany(e => e.Tags).Select(t => $"{t.Key}={t.Value}"));
        }

        listener.RecordObservableInstruments();
        lock (values)
        {
            Assert.Contains(values, v => v.StartsWith("error.type=", StringComparison.Ordinal));
            Assert.Contains(values, v => v.StartsWith("feature_flag.context.id=", StringComparison.Ordinal));
            Assert.DoesNotContain(values, v => v.Contains(h.Server.Secret, StringComparison.Ordinal));
        }
    }

    private static void AssertDataSync(MetricCollector<double> collector, string type)
    {
        var measurement = Assert.Single(collector.GetMeasurementSnapshot());
        Assert.Equal(type, measurement.Tags["featureflags.sync.type"]);
        // The persistent store below costs exactly ApplyCost of fake time, inside the commit.
        Assert.Equal(ApplyCost.TotalSeconds, measurement.Value, 9);
    }

    /// <summary>The SDK as <c>AddFeatureFlags</c> registers it, against a real in-process FeatBit server, on fake time.</summary>
    private sealed class SdkHost : IAsyncDisposable
    {
        private SdkHost(FakeFeatBitServer server, FakeTimeProvider time)
        {
            Server = server;
            Time = time;
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(time);
            services.AddLogging();
            services.AddFeatureFlags(o =>
            {
                o.EnvSecret = server.Secret;
                o.Streaming.Uri = server.StreamingUri;
                o.StartWaitTime = TimeSpan.Zero;
                o.Events.Enabled = false;
                o.Evaluation.TraceUserKey = true; // off by default; the secret test checks user keys too

                // The connect timeout runs on the fake clock, which AdvanceUntilAsync moves 1 s a step while a
                // reconnect's real loopback connection is in flight: with the default 5 s, a busy machine let the
                // reconnect time out (CI counted a connect_failed instead of the server's close). No connect here
                // should time out.
                o.Streaming.ConnectTimeout = TimeSpan.FromHours(1);
            });
            // Applying costs a known amount of (fake) time, so durations are exact: the persistent store is saved to
            // inside the commit (FlagsChanged handlers run later, on the notification thread).
            FeatureFlags.DataSystem.FeatureFlagsDataSystemBuilderExtensions.UsePersistentStore(
                services.AddFeatureFlags(static _ => { }), _ => new CostlyStore(time));
            Services = services.BuildServiceProvider();
            Metrics = Services.GetRequiredService<FeatureFlagsMetrics>();
            Store = Services.GetRequiredService<FlagStore>();
            Client = Services.GetRequiredService<IFeatureFlagClient>();
            Status = Services.GetRequiredService<StatusProvider>();
            Sync = Services.GetRequiredService<FlagDataSystem>();

        }

        public FakeFeatBitServer Server { get; }

        public FakeTimeProvider Time { get; }

        public ServiceProvider Services { get; }

        public FeatureFlagsMetrics Metrics { get; }

        public FlagStore Store { get; }

        public IFeatureFlagClient Client { get; }

        public StatusProvider Status { get; }

        public FlagDataSystem Sync { get; }

        public static async Task<SdkHost> CreateAsync()
        {
            var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
            return new SdkHost(await FakeFeatBitServer.StartAsync(time), time);
        }

        public MetricCollector<T> Collect<T>(string instrument)
            where T : struct
            => new(Metrics.Meter, instrument);

        public async Task StartAndSyncAsync()
        {
            await Sync.StartAsync(CancellationToken.None);
            Assert.True(await Status.WaitForReadyAsync(Timeout.InfiniteTimeSpan).WaitAsync(Wait), "not ready");
        }

        /// <summary>Advances fake time in steps (each gives the loop a real moment to arm its backoff timer) until the condition holds.</summary>
        public Task AdvanceUntilAsync(Func<bool> condition, string what)
            => Time.AdvanceUntilAsync(condition, TimeSpan.FromSeconds(1), what);

        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(Wait);
            await Sync.StopAsync(timeout.Token);
            await Services.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    /// <summary>A persistent store whose save costs <see cref="ApplyCost"/> of fake time.</summary>
    private sealed class CostlyStore(FakeTimeProvider time) : FeatureFlags.DataSystem.IPersistentFlagStore
    {
        public ValueTask<FeatureFlags.DataSystem.PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken) => ValueTask.FromResult<FeatureFlags.DataSystem.PersistedFlagData?>(null);

        public void Save(string environmentId, FeatureFlags.DataSystem.FlagDataSet data) => time.Advance(ApplyCost);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
