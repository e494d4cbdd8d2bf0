using System.Net.WebSockets;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>
/// A real clean close (issue 15, item 6): on stop the client sends a close frame, waits for the server's answer up to
/// <c>CloseTimeout</c>, then aborts. The fake server records the frame it received.
/// </summary>
public sealed class CleanCloseTests
{
    private const long V1 = 1_700_000_000_000;

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    public async Task Stop_SendsANormalClose_AndWaitsForTheServersAnswer()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        await h.Service.StopAsync(TestContext.Current.CancellationToken);

        var frame = Assert.Single(h.Server.ClientCloses);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, frame.Status);
        Assert.Equal("client shutting down", frame.Description);
        Assert.True(frame.Answered, "the server's answer was not awaited: the client aborted first");
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2011);
    }

    [Fact]
    [Trait("Conformance", "SYNC-06")]
    public async Task Stop_ServerNeverAnswers_AbortsAfterCloseTimeout_NotBefore()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.CloseTimeout = TimeSpan.FromSeconds(2));
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        h.Server.AnswerClientClose = false;
        await h.StartAndSyncAsync();

        var stop = h.Service.StopAsync(TestContext.Current.CancellationToken);
        await h.Server.WaitForClientClosesAsync(1, TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        var sentAt = h.Time.GetTimestamp();

        // Just short of CloseTimeout the client still waits for the answer.
        h.Time.Advance(TimeSpan.FromMilliseconds(1_990));
        await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, TestContext.Current.CancellationToken);
        Assert.False(stop.IsCompleted, "the client gave up on the close before CloseTimeout");

        // At CloseTimeout it aborts, and stop completes promptly.
        h.Time.Advance(TimeSpan.FromMilliseconds(10));
        await stop.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.FromSeconds(2), h.Time.GetElapsedTime(sentAt));
        var frame = Assert.Single(h.Server.ClientCloses);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, frame.Status);
        Assert.False(frame.Answered);
        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
    }
}
