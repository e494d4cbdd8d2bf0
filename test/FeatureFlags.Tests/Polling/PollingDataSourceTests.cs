using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FeatureFlags.Tests.Polling;

[Trait("Conformance", "SYNC-07")]
public sealed class PollingDataSourceTests
{
    private const long V1 = 1_700_000_000_000;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FirstRequest_HasNoTimestamp_ThenTheCommittedCursor_WithRawSecretAndPathPrefix()
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Streaming.Uri = new Uri(o.Streaming.Uri, "featbit"));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));

        await h.StartAndSyncAsync();
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));

        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 5));
        await h.AdvanceUntilPollsAsync(2);
        await h.AdvanceUntilAsync(() => !h.Client.BoolVariation("flag-a", FlagUser.Create("u"), true), "the patch committed", TimeSpan.Zero, 100);

        var polls = h.Server.PollRequests;

        // The fake answers 200 only to the exact raw secret (no Bearer): 401 otherwise.
        Assert.All(polls, p => Assert.Equal(200, p.StatusCode));
        Assert.Equal("/featbit/api/public/sdk/server/latest-all", polls[0].PathAndQuery);
        Assert.Null(polls[0].Cursor);
        Assert.Equal("full", polls[0].EventType);
        Assert.Equal($"/featbit/api/public/sdk/server/latest-all?timestamp={V1}", polls[1].PathAndQuery);
        Assert.Equal("patch", polls[1].EventType);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
    }

    [Fact]
    public async Task NextRequest_IsScheduledAnIntervalAfterThePreviousEnded()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        await h.AdvanceUntilPollsAsync(3);

        var polls = h.Server.PollRequests;
        Assert.True(polls[1].ReceivedAt - polls[0].RespondedAt >= Interval, $"gap {polls[1].ReceivedAt - polls[0].RespondedAt}");
        Assert.True(polls[2].ReceivedAt - polls[1].RespondedAt >= Interval, $"gap {polls[2].ReceivedAt - polls[1].RespondedAt}");
        Assert.True(polls[2].ReceivedAt - polls[1].RespondedAt < Interval + TimeSpan.FromSeconds(10), "polls on schedule");
    }

    [Fact]
    public async Task EmptyBody_CommitsNothing_AndKeepsTheCursor()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var version = h.Store.Version;
        var changes = 0;
        h.Store.FlagsChanged += (_, _) => Interlocked.Increment(ref changes);

        await h.AdvanceUntilPollsAsync(3);

        var polls = h.Server.PollRequests;
        Assert.Equal(200, polls[1].StatusCode);
        Assert.Null(polls[1].EventType); // the empty body: nothing changed
        Assert.Equal(V1, polls[1].Cursor);
        Assert.Equal(V1, polls[2].Cursor);
        Assert.Equal(version, h.Store.Version);
        Assert.Equal(0, Volatile.Read(ref changes));
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
    }

    [Fact]
    public async Task SlowServer_NeverGetsOverlappingRequests()
    {
        await using var h = await PollingHarness.CreateAsync(o =>
        {
            o.Polling.Interval = TimeSpan.FromSeconds(1);
            o.Polling.Timeout = TimeSpan.FromMinutes(5);
        });
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.PollDelay = TimeSpan.FromSeconds(20); // twenty intervals per request

        await h.AdvanceUntilPollsAsync(5);

        Assert.Equal(1, h.Server.MaxConcurrentPolls);
        var polls = h.Server.PollRequests;
        for (var i = 1; i < polls.Count; i++)
        {
            Assert.True(polls[i].ReceivedAt >= polls[i - 1].RespondedAt, $"request {i} started before {i - 1} ended");
        }
    }

    [Fact]
    public async Task LateResponse_AfterStop_CommitsNothing()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.PollDelay = TimeSpan.FromSeconds(5);
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1));

        await h.AdvanceUntilAsync(() => h.Server.DelayedPolls >= 1, "the second poll in flight");
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await h.Service.StopAsync(stop.Token);
        }

        h.Time.Advance(TimeSpan.FromSeconds(10)); // the server would answer now
        await h.Server.WaitForPollRequestsAsync(2, TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.True(h.Service.Loop!.IsCompleted);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u"), false));
        Assert.Equal(V1, h.Store.Version);
        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task RetryAfter_IsHonoured(int status)
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.Interval = TimeSpan.FromSeconds(5));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(status == 429 ? PollFault.RateLimit(TimeSpan.FromSeconds(60)) : PollFault.ServiceUnavailable(TimeSpan.FromSeconds(60)));

        await h.AdvanceUntilPollsAsync(3);

        var polls = h.Server.PollRequests;
        Assert.Equal(status, polls[1].StatusCode);
        var gap = polls[2].ReceivedAt - polls[1].RespondedAt;
        Assert.True(gap >= TimeSpan.FromSeconds(60), $"waited only {gap}");
        Assert.True(gap < TimeSpan.FromSeconds(75), $"waited {gap}");
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2104);
    }

    [Fact]
    public async Task RetryAfter_AsAnHttpDate_IsHonoured()
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.Interval = TimeSpan.FromSeconds(5));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var until = h.Time.GetUtcNow().AddSeconds(120);
        h.Server.EnqueuePollFault(PollFault.Status(503, until.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

        await h.AdvanceUntilPollsAsync(3);

        var third = h.Server.PollRequests[2];
        Assert.True(third.ReceivedAt >= until.AddSeconds(-1), $"polled at {third.ReceivedAt}, Retry-After {until}");
    }

    [Fact]
    public async Task RepeatedFailures_BackOffFromTheInterval()
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.Interval = TimeSpan.FromSeconds(5));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        for (var i = 0; i < 4; i++)
        {
            h.Server.EnqueuePollFault(PollFault.Status(500));
        }

        await h.AdvanceUntilPollsAsync(6);

        var polls = h.Server.PollRequests;
        TimeSpan Gap(int i) => polls[i + 1].ReceivedAt - polls[i].RespondedAt;
        Assert.True(Gap(1) >= TimeSpan.FromSeconds(5), $"first retry after {Gap(1)}");
        Assert.True(Gap(3) >= TimeSpan.FromSeconds(10), $"third retry after {Gap(3)}");
        Assert.True(Gap(4) >= TimeSpan.FromSeconds(20), $"fourth retry after {Gap(4)}");
        Assert.Equal(200, polls[5].StatusCode);
    }

    [Fact]
    public async Task RetryAfter_ShorterThanTheInterval_WaitsTheInterval()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.RateLimit(TimeSpan.FromSeconds(1)));

        await h.AdvanceUntilPollsAsync(3);

        var polls = h.Server.PollRequests;
        Assert.True(polls[2].ReceivedAt - polls[1].RespondedAt >= Interval);
    }

    [Fact]
    public async Task Ready_OnlyAfterAValidResponseWasCommitted()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.EnqueuePollFault(PollFault.Status(500));
        h.Server.EnqueuePollFault(PollFault.MalformedJson());

        await h.Service.StartAsync(CancellationToken.None);
        await h.Server.WaitForPollRequestsAsync(1, TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        await h.AdvanceUntilAsync(() => h.Status.Current.LastError is not null, "the error recorded", TimeSpan.Zero, 100);
        Assert.Equal(FeatureFlagsState.Initializing, h.Status.Current.State);
        Assert.Contains("HTTP 500", h.Status.Current.LastError, StringComparison.Ordinal);

        await h.AdvanceUntilAsync(() => h.Logs.GetSnapshot().Any(r => r.Id.Id == 2106), "the malformed response ignored");
        Assert.Equal(FeatureFlagsState.Initializing, h.Status.Current.State); // malformed: ignored

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, "ready after a valid response");
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Fact]
    public async Task Failure_AfterReady_IsInterrupted_AndAValidResponseRestoresReady()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.ServiceUnavailable());

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Interrupted, "interrupted");
        Assert.Contains("HTTP 503", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));

        // The next poll gets an empty 200 (nothing changed): a valid response, so Ready again.
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, "ready again");

        // The recovery is logged by the loop just after the poll reported Ready.
        await h.AdvanceUntilAsync(() => h.Logs.GetSnapshot().Any(r => r.Id.Id == 2107), "the recovery logged (2107)", TimeSpan.Zero);
    }

    [Fact]
    public async Task Timeout_AfterReady_IsInterrupted()
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.Timeout = TimeSpan.FromSeconds(5));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.Slow(TimeSpan.FromMinutes(5)));

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Interrupted, "interrupted by the timeout");

        Assert.Contains("timed out", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task Rejection_WithInfiniteRetryAfterRejection_TurnsOffOnce_AndStopsPolling(int status)
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.RetryAfterRejection = Timeout.InfiniteTimeSpan);
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.Status(status));

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, "off");
        await h.Service.Loop!.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        h.Time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, TestContext.Current.CancellationToken);

        Assert.Equal(2, h.Server.PollRequestCount);
        Assert.Contains("FeatureFlags:EnvSecret", h.Status.Current.LastError, StringComparison.Ordinal);
        Assert.Single(h.Logs.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Single(h.Logs.GetSnapshot(), r => r.Id.Id == 2105);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
    }

    [Fact]
    public async Task Rejection_ProbesEveryRetryAfterRejection_AskingForEverything_AndLogsOneError()
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.RetryAfterRejection = TimeSpan.FromMinutes(1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.Status(401));
        h.Server.EnqueuePollFault(PollFault.Status(401));

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, "off");
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Ready, "accepted again", TimeSpan.FromSeconds(5));

        var polls = h.Server.PollRequests;
        Assert.Equal([200, 401, 401, 200], polls.Select(p => p.StatusCode));
        Assert.True(polls[2].ReceivedAt - polls[1].RespondedAt >= TimeSpan.FromMinutes(1), "probe paced");
        Assert.Null(polls[2].Cursor); // after a refusal: everything (a relay that restarted lost its data)
        Assert.Null(polls[3].Cursor);
        Assert.Equal("full", polls[3].EventType);
        Assert.Single(h.Logs.GetSnapshot(), r => r.Id.Id == 2105);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2108);
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2023);
    }

    [Fact]
    public async Task WrongSecret_AtStart_IsOffWithoutData()
    {
        await using var h = await PollingHarness.CreateAsync(o =>
        {
            o.EnvSecret = "Bearer " + FakeFeatBitServer.DefaultSecret;
            o.Polling.RetryAfterRejection = Timeout.InfiniteTimeSpan;
        });

        await h.Service.StartAsync(CancellationToken.None);
        await h.Service.Loop!.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
        Assert.Equal(401, Assert.Single(h.Server.PollRequests).StatusCode);
    }

    [Fact]
    public async Task MalformedJson_IsIgnored_AndTheLastFlagsKeepServing()
    {
        await using var h = await PollingHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.MalformedJson());
        h.Server.EnqueuePollFault(PollFault.MalformedJson("""{"messageType":"data-sync","data":{"eventType":"full","featureFlags":"nope"}}"""));

        await h.AdvanceUntilAsync(() => h.Logs.GetSnapshot().Count(r => r.Id.Id == 2106) >= 2, "two ignored responses", maxSteps: 1000);

        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));
        Assert.Equal(V1, h.Store.Version);
        Assert.Equal(FeatureFlagsState.Ready, h.Status.Current.State);
        await h.AdvanceUntilPollsAsync(4, maxSteps: 1000);
        Assert.Equal(V1, h.Server.PollRequests[3].Cursor);
    }

    [Fact]
    public async Task Secret_NeverAppearsInLogs()
    {
        await using var h = await PollingHarness.CreateAsync(o => o.Polling.Interval = TimeSpan.FromSeconds(1));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        h.Server.EnqueuePollFault(PollFault.Status(500));
        h.Server.EnqueuePollFault(PollFault.RateLimit(TimeSpan.FromSeconds(2)));
        h.Server.EnqueuePollFault(PollFault.MalformedJson());
        h.Server.EnqueuePollFault(PollFault.Status(401));

        await h.AdvanceUntilAsync(() => h.Status.Current.State == FeatureFlagsState.Off, "off", maxSteps: 1000);

        var text = h.AllLogText();
        Assert.Contains("latest-all", text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeFeatBitServer.DefaultSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeFeatBitServer.DefaultSecret, h.Status.Current.LastError ?? string.Empty, StringComparison.Ordinal);
    }
}
