using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Sync;

public sealed class StatusProviderTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<StatusProvider> _logger = new();

    [Fact]
    [Trait("Conformance", "API-08")]
    public void New_IsInitializingWithoutError()
    {
        var status = new StatusProvider(_time, _logger).Current;

        Assert.Equal((FeatureFlagsState.Initializing, _time.GetUtcNow(), null, null), (status.State, status.Since, status.LastError, status.LastErrorAt));
    }

    [Fact]
    public async Task WaitForReady_ReleasesAWaiterOnlyOnceTheReadyNotificationIsQueued()
    {
        // A waiter that then waits for the notifications queued so far must see Ready's: the notification is queued
        // before the wait is released (it was queued just after, a race a loaded machine could lose).
        for (var i = 0; i < 300; i++)
        {
            var provider = new StatusProvider(_time, _logger);
            var seen = 0;
            provider.StatusChanged += (_, s) =>
            {
                if (s.State == FeatureFlagsState.Ready)
                {
                    Interlocked.Exchange(ref seen, 1);
                }
            };
            var wait = provider.WaitForReadyAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            var set = Task.Run(() => provider.Set(FeatureFlagsState.Ready), TestContext.Current.CancellationToken);
            Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
            provider.Delivered();

            Assert.Equal(1, Volatile.Read(ref seen));
            await set;
        }
    }

    [Fact]
    [Trait("Conformance", "API-07")]
    public async Task WaitForReady_CompletesWhenReady()
    {
        var provider = new StatusProvider(_time, _logger);
        var wait = provider.WaitForReadyAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);

        provider.Set(FeatureFlagsState.Ready);

        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.True(await provider.WaitForReadyAsync(TimeSpan.Zero, TestContext.Current.CancellationToken));
    }

    [Fact]
    [Trait("Conformance", "API-07")]
    public async Task WaitForReady_TimesOutOnTheInjectedClock()
    {
        var provider = new StatusProvider(_time, _logger);
        var wait = provider.WaitForReadyAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        _time.Advance(TimeSpan.FromSeconds(14));
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    [Trait("Conformance", "API-07")]
    public async Task WaitForReady_OffEndsTheWaitWithFalse()
    {
        var provider = new StatusProvider(_time, _logger);
        var wait = provider.WaitForReadyAsync(Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);

        provider.Set(FeatureFlagsState.Off, "rejected");

        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.False(await provider.WaitForReadyAsync(Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken));
    }

    [Fact]
    [Trait("Conformance", "API-07")]
    public async Task WaitForReady_AfterInterruption_WaitsForTheNextReady()
    {
        var provider = new StatusProvider(_time, _logger);
        provider.Set(FeatureFlagsState.Ready);
        provider.Set(FeatureFlagsState.Interrupted, "lost");

        var wait = provider.WaitForReadyAsync(Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);
        provider.Set(FeatureFlagsState.Ready);

        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    [Trait("Conformance", "NOTE-03")]
    [Trait("Conformance", "NOTE-04")]
    public void Set_RecordsErrorAndTimesAndNotifiesInOrderIsolatingFailures()
    {
        var provider = new StatusProvider(_time, _logger);
        var seen = new List<FeatureFlagsStatus>();
        provider.StatusChanged += (_, s) => seen.Add(s);
        provider.StatusChanged += (_, _) => throw new InvalidOperationException("bad handler");

        provider.Set(FeatureFlagsState.Ready);
        _time.Advance(TimeSpan.FromSeconds(5));
        provider.Set(FeatureFlagsState.Interrupted, "connection lost");
        provider.Set(FeatureFlagsState.Interrupted); // no change: no notification
        provider.Delivered();

        Assert.Equal([FeatureFlagsState.Ready, FeatureFlagsState.Interrupted], seen.Select(s => s.State));
        Assert.Equal("connection lost", seen[1].LastError);
        Assert.Equal(_time.GetUtcNow(), seen[1].LastErrorAt);
        Assert.Equal(_time.GetUtcNow(), seen[1].Since);
        Assert.Equal(2, _logger.Collector.GetSnapshot().Count(r => r.Id.Id == 2020));
    }
}
