using System.Collections.Concurrent;
using System.Diagnostics;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Store;

public sealed class NotificationDispatcherTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _dispatcherLog = new();
    private readonly NotificationDispatcher _dispatcher;
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NotificationDispatcherTests() => _dispatcher = new NotificationDispatcher(_dispatcherLog);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _gate.TrySetResult();
        _dispatcher.Dispose();
    }

    [Fact]
    public async Task StoreTrackerAndStatus_AreDeliveredInCommitOrder()
    {
        var (store, status) = (NewStore(), NewStatus());
        using var tracker = new FlagTracker(store, Fixtures.Client(store), NullLogger<FlagTracker>.Instance);
        var seen = new ConcurrentQueue<string>();
        store.FlagsChanged += (_, e) => seen.Enqueue("flags:" + string.Join(",", e.FlagKeys));
        status.StatusChanged += (_, s) => seen.Enqueue("status:" + s.State);
        using var sub = tracker.OnFlagChanged("a", e => seen.Enqueue("tracker:" + e.FlagKey));

        store.ApplyFull([FlagStoreTests.Flag("a", 1)], []);
        status.Set(FeatureFlagsState.Ready);
        store.ApplyPatch([FlagStoreTests.Flag("b", 2)], []);
        status.Set(FeatureFlagsState.Interrupted, "lost");
        store.ApplyPatch([FlagStoreTests.Flag("a", 3)], []);
        await _dispatcher.WhenDeliveredAsync().WaitAsync(Bound, Ct);

        Assert.Equal(
            ["tracker:a", "flags:a", "status:Ready", "flags:b", "status:Interrupted", "tracker:a", "flags:a"],
            seen.ToArray());
    }

    [Fact]
    public async Task BlockingHandler_DoesNotDelayTheNextApply_NorItsSnapshot_NorAStatusChange()
    {
        var (store, status) = (NewStore(), NewStatus());
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var versions = new ConcurrentQueue<long>();
        var statuses = new ConcurrentQueue<FeatureFlagsState>();
        store.FlagsChanged += (_, e) =>
        {
            versions.Enqueue(e.Version);
            if (e.Version == 1)
            {
                entered.TrySetResult();
                _gate.Task.Wait(TimeSpan.FromSeconds(5), Ct); // blocks until released (5 s at most)
            }
        };
        status.StatusChanged += (_, s) => statuses.Enqueue(s.State);

        store.ApplyFull([FlagStoreTests.Flag("a", 1, value: "one")], []);
        await entered.Task.WaitAsync(Bound, Ct);

        // The handler is blocked: the next update and the status change are visible at once anyway.
        var result = store.ApplyPatch([FlagStoreTests.Flag("a", 2, value: "two")], []);
        Assert.Equal(["a"], result.ChangedFlagKeys);
        Assert.Equal(2, store.Version);
        Assert.Equal("two", Fixtures.Client(store).StringVariation("a", FlagUser.Create("u"), "default"));
        status.Set(FeatureFlagsState.Ready);
        Assert.Equal(FeatureFlagsState.Ready, status.Current.State);
        Assert.True(await status.WaitForReadyAsync(TimeSpan.Zero, Ct));
        Assert.False(_gate.Task.IsCompleted);
        Assert.Equal([1L], versions.ToArray());
        Assert.Empty(statuses);

        _gate.TrySetResult();
        await _dispatcher.WhenDeliveredAsync().WaitAsync(Bound, Ct);
        Assert.Equal([1L, 2L], versions.ToArray());
        Assert.Equal([FeatureFlagsState.Ready], statuses.ToArray());
    }

    [Fact]
    public async Task HandlerThatAppliesToTheStore_DoesNotDeadlock()
    {
        var store = NewStore();
        var status = NewStatus();
        var second = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.FlagsChanged += (_, e) =>
        {
            if (e.Version == 1)
            {
                // Re-enters the store (its write lock) and the status provider from the notification thread.
                store.ApplyPatch([FlagStoreTests.Flag("b", 2)], []);
                status.Set(FeatureFlagsState.Ready);
            }
            else
            {
                second.TrySetResult(e.Version);
            }
        };

        store.ApplyFull([FlagStoreTests.Flag("a", 1)], []);

        Assert.Equal(2, await second.Task.WaitAsync(Bound, Ct));
        Assert.Equal(FeatureFlagsState.Ready, status.Current.State);
    }

    [Fact]
    public async Task ThrowingHandler_IsLogged_AndDoesNotStopTheOthers()
    {
        var storeLog = new FakeLogger<FlagStore>();
        var statusLog = new FakeLogger<StatusProvider>();
        var store = new FlagStore(Options.Create(new FeatureFlagsOptions()), storeLog, dispatcher: _dispatcher);
        var status = new StatusProvider(_time, statusLog, _dispatcher);
        var seen = new ConcurrentQueue<string>();
        store.FlagsChanged += (_, _) => throw new InvalidOperationException("store handler");
        store.FlagsChanged += (_, _) => seen.Enqueue("flags");
        status.StatusChanged += (_, _) => throw new InvalidOperationException("status handler");
        status.StatusChanged += (_, _) => seen.Enqueue("status");
        _dispatcher.Post(() => throw new InvalidOperationException("a broken notification"));

        store.ApplyFull([FlagStoreTests.Flag("a", 1)], []);
        status.Set(FeatureFlagsState.Ready);
        store.ApplyPatch([FlagStoreTests.Flag("a", 2)], []);
        await _dispatcher.WhenDeliveredAsync().WaitAsync(Bound, Ct);

        Assert.Equal(["flags", "status", "flags"], seen.ToArray());
        Assert.Equal(2, storeLog.Collector.GetSnapshot().Count(r => r.Id.Id == 1006));
        Assert.Single(statusLog.Collector.GetSnapshot(), r => r.Id.Id == 2020);
        Assert.Single(_dispatcherLog.Collector.GetSnapshot(), r => r.Id.Id == 1303);
    }

    [Fact]
    public async Task Overflow_DropsTheOldestPending_AndWarnsOncePerEpisode()
    {
        var log = new FakeLogger();
        using var dispatcher = new NotificationDispatcher(log, capacity: 3);
        var delivered = new ConcurrentQueue<int>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dispatcher.Post(() =>
        {
            entered.TrySetResult();
            _gate.Task.Wait(Bound, Ct);
        });
        await entered.Task.WaitAsync(Bound, Ct);

        for (var i = 1; i <= 5; i++)
        {
            var n = i;
            dispatcher.Post(() =>
            {
                delivered.Enqueue(n);
                if (n == 5)
                {
                    last.TrySetResult();
                }
            });
        }

        Assert.Equal(3, dispatcher.Pending);
        Assert.Equal(2, dispatcher.Dropped);
        _gate.TrySetResult();
        await last.Task.WaitAsync(Bound, Ct);

        Assert.Equal([3, 4, 5], delivered.ToArray());
        Assert.Single(log.Collector.GetSnapshot(), r => r.Id.Id == 1301);
    }

    [Fact]
    public async Task Dispose_WithABlockedHandler_ReturnsWithinTheDrainTimeout()
    {
        var log = new FakeLogger();
        var dispatcher = new NotificationDispatcher(log, drainTimeout: TimeSpan.FromMilliseconds(200));
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ranAfter = false;
        dispatcher.Post(() =>
        {
            entered.TrySetResult();
            _gate.Task.Wait(TimeSpan.FromSeconds(30), Ct);
        });
        dispatcher.Post(() => ranAfter = true);
        await entered.Task.WaitAsync(Bound, Ct);

        var watch = Stopwatch.StartNew();
        dispatcher.Dispose();
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {watch.Elapsed}");
        Assert.Single(log.Collector.GetSnapshot(), r => r.Id.Id == 1302);
        dispatcher.Post(() => ranAfter = true); // ignored after disposal
        _gate.TrySetResult();
        await dispatcher.WhenDeliveredAsync().WaitAsync(Bound, Ct);
        Assert.False(ranAfter);
    }

    [Fact]
    public async Task Dispose_DeliversWhatIsQueued()
    {
        var dispatcher = new NotificationDispatcher(NullLogger.Instance);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new ConcurrentQueue<int>();
        dispatcher.Post(() =>
        {
            entered.TrySetResult();
            _gate.Task.Wait(Bound, Ct);
        });
        await entered.Task.WaitAsync(Bound, Ct);
        for (var i = 0; i < 3; i++)
        {
            var n = i;
            dispatcher.Post(() => delivered.Enqueue(n));
        }

        _gate.TrySetResult();
        await dispatcher.DisposeAsync();

        Assert.Equal([0, 1, 2], delivered.ToArray());
    }

    [Fact]
    public async Task TrackerSubscription_IsNotToldAboutCommitsStillQueuedWhenItSubscribed()
    {
        var store = NewStore();
        using var tracker = new FlagTracker(store, Fixtures.Client(store), NullLogger<FlagTracker>.Instance);
        var seen = new ConcurrentQueue<string>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _dispatcher.Post(() =>
        {
            entered.TrySetResult();
            _gate.Task.Wait(Bound, Ct);
        });
        await entered.Task.WaitAsync(Bound, Ct);
        store.ApplyFull([FlagStoreTests.Flag("a", 1, value: "one")], []);
        store.ApplyPatch([FlagStoreTests.Flag("a", 2, value: "two")], []);

        // Both commits are still queued: the subscriptions start from "two".
        using var changes = tracker.OnFlagChanged("a", e => seen.Enqueue($"changed:{e.Version}"));
        using var values = tracker.OnFlagValueChanged("a", FlagUser.Create("u"), e => seen.Enqueue($"value:{e.OldValue}->{e.NewValue}"));
        _gate.TrySetResult();
        await _dispatcher.WhenDeliveredAsync().WaitAsync(Bound, Ct);
        Assert.Empty(seen);

        store.ApplyPatch([FlagStoreTests.Flag("a", 3, value: "three")], []);
        await _dispatcher.WhenDeliveredAsync().WaitAsync(Bound, Ct);
        Assert.Equal(["changed:3", "value:two->three"], seen.ToArray());
    }

    [Fact]
    public async Task OwnDispatcher_WhenNoneIsGiven_StillDeliversOutsideTheCall()
    {
        using var store = Fixtures.NewStore();
        var status = new StatusProvider(_time, NullLogger<StatusProvider>.Instance);
        Assert.NotSame(store.Dispatcher, status.Dispatcher);
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.FlagsChanged += (_, e) => seen.TrySetResult(e.Version);

        store.ApplyFull([FlagStoreTests.Flag("a", 7)], []);

        Assert.Equal(7, await seen.Task.WaitAsync(Bound, Ct));
    }

    private FlagStore NewStore()
        => new(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance, dispatcher: _dispatcher);

    private StatusProvider NewStatus() => new(_time, NullLogger<StatusProvider>.Instance, _dispatcher);
}
