using System.Text;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Events;
using FeatureFlags.Tests.Store;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.Conformance;

/// <summary>
/// Checks of FeatBit's draft server-SDK acceptance checklist (docs/conformance.md) whose behaviour the SDK already had
/// but no other test pinned down. Each test names its check with a <c>Conformance</c> trait.
/// </summary>
public sealed class SpecConformanceTests
{
    private const long V1 = 1_700_000_000_000;
    private static readonly FlagUser User = FlagUser.Create("u1");

    [Fact]
    [Trait("Conformance", "INV-03")]
    public void FullWithASkippedEntity_LeavesItAbsent_AndItsVersionOutOfTheCursor()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([FlagStoreTests.Flag("a", 1, "a1"), FlagStoreTests.Flag("b", 2, "b1")], []);

        store.Apply(Payload("full", Good("a", 100, "a2"), """{"key":"b","updatedAt":900,"isEnabled":"maybe"}"""));

        Assert.Equal(["a"], store.FlagKeys);
        Assert.Equal("a2", FlagStoreTests.Value(store, "a"));
        Assert.Equal(100, store.Version);
    }

    [Fact]
    [Trait("Conformance", "INV-03")]
    public void PatchWithASkippedEntity_KeepsItsPreviousCopy_AndItsVersionOutOfTheCursor()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([FlagStoreTests.Flag("a", 1, "a1")], []);

        store.Apply(Payload("patch", Good("c", 20, "c1"), """{"key":"a","updatedAt":900,"isEnabled":"maybe"}"""));

        Assert.Equal(["a", "c"], store.FlagKeys.Order(StringComparer.Ordinal));
        Assert.Equal("a1", FlagStoreTests.Value(store, "a"));
        Assert.Equal(20, store.Version);
    }

    [Fact]
    [Trait("Conformance", "STORE-01")]
    public void EmptyFull_ClearsTheStore_AndTheCursorIsZero()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([FlagStoreTests.Flag("a", 10), FlagStoreTests.Flag("b", 20, archived: true)], []);

        store.Apply(Payload("full"));

        Assert.True(store.IsInitialized);
        Assert.Empty(store.FlagKeys);
        Assert.Equal(0, store.Version);
        Assert.Equal("<none>", FlagStoreTests.Value(store, "a"));
    }

    [Fact]
    [Trait("Conformance", "EVT-02")]
    public async Task Track_BeforeAnyFlagData_IsRecordedWithTheDefaultValueOfOne()
    {
        await using var h = await EventHarness.CreateAsync();
        Assert.False(h.Store.IsInitialized);

        h.Client.Track(User, "signed-up");
        await h.Client.FlushAsync(TestContext.Current.CancellationToken);

        var metric = Assert.Single(h.Server.AllEvents)["metrics"]![0]!;
        Assert.Equal(("signed-up", 1.0), (metric["eventName"]!.GetValue<string>(), metric["numericValue"]!.GetValue<double>()));
    }

    [Fact]
    [Trait("Conformance", "DLV-06")]
    public async Task FlushAsync_WhileABatchIsInFlight_CompletesOnlyOnceThatBatchIsDone()
    {
        await using var h = await EventHarness.CreateAsync(o => o.Events.SendTimeout = TimeSpan.FromSeconds(2));
        h.Server.Script(FakeEventServer.HangStatus);
        h.Client.Track(User, "first");
        var inFlight = h.Client.FlushAsync(TestContext.Current.CancellationToken);
        await h.Server.WaitForRequestsAsync(1);

        var later = h.Client.FlushAsync(TestContext.Current.CancellationToken);

        Assert.False(later.IsCompleted);
        await h.AdvanceUntilAsync(() => later.IsCompleted, TimeSpan.FromMilliseconds(500), "the in-flight batch to be retried");
        await later;
        Assert.True(inFlight.IsCompleted);
        Assert.Equal(1L, h.Processor.Sent);
    }

    [Fact]
    [Trait("Conformance", "API-04")]
    [Trait("Conformance", "API-05")]
    [Trait("Conformance", "SYNC-06")]
    public async Task Stop_Twice_EndsSyncing_AndTheLastFlagsKeepServing()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await h.Service.StopAsync(bound.Token);
        await h.Service.StopAsync(bound.Token);

        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
        var detail = h.Client.BoolVariationDetail("flag-a", User, false);
        Assert.True(detail.Value);
        Assert.NotEqual(EvaluationReasonKind.ClientNotReady, detail.Kind);
        Assert.Equal(1, h.Server.ConnectionCount);
    }

    private static string Good(string key, long version, string value)
        => $$$"""{"key":"{{{key}}}","updatedAt":{{{version}}},"isEnabled":false,"disabledVariationId":"x","variations":[{"id":"x","value":"{{{value}}}"}],"fallthrough":{"variations":[{"id":"x","rollout":[0,1]}]}}""";

    private static DataSyncPayloadDto Payload(string eventType, params string[] flags)
        => WireJson.ReadDataSync(Encoding.UTF8.GetBytes(
            $$$"""{"messageType":"data-sync","data":{"eventType":"{{{eventType}}}","featureFlags":[{{{string.Join(',', flags)}}}],"segments":[]}}"""));
}
