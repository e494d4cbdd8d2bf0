using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FeatureFlags.Tests.Sync;

/// <summary>The sync's log records in the cases an operator reads them: a rejected secret, our own shutdown.</summary>
public sealed class SyncLoggingTests
{
    private const long V1 = 1_700_000_000_000;

    [Fact]
    [Trait("Conformance", "SYNC-05")]
    public async Task StartAsync_Rejected4003_LogsTheRejectionButNotTheStartWaitWarning()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.StartWaitTime = TimeSpan.FromSeconds(15));
        h.Server.EnqueueScript(ConnectionScript.RejectWith4003);

        // The start wait ends as soon as the rejection turns syncing off, without any fake time passing.
        await h.Service.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        Assert.Equal(FeatureFlagsState.Off, h.Status.Current.State);
        Assert.Single(h.Logs.GetSnapshot(), r => r.Id.Id == 2009 && r.Level == LogLevel.Error);
        Assert.DoesNotContain(h.Logs.GetSnapshot(), r => r.Id.Id == 2013);
    }

    [Fact]
    public async Task StopAsync_CleanClose_LoggedAsAClientStopNotAsClosedByTheServer()
    {
        await using var h = await SyncHarness.CreateAsync();
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await h.Service.StopAsync(timeout.Token);

        Assert.DoesNotContain(h.Logs.GetSnapshot(), r => r.Id.Id == 2010);
        var stop = Assert.Single(h.Logs.GetSnapshot(), r => r.Id.Id == 2011);
        Assert.Equal(LogLevel.Debug, stop.Level);
        Assert.Contains("closed by the client", stop.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(SessionEnd.ClosedByServer), string.Join('\n', h.Logs.GetSnapshot().Select(r => r.Message)), StringComparison.Ordinal);
    }
}
