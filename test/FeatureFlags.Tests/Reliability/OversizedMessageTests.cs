using System.Net.WebSockets;
using System.Text;
using FeatureFlags.Tests.Support;
using FeatureFlags.Tests.Sync;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// A server message far above <see cref="StreamingOptions.MaxMessageSize"/> (64 times it, in many fragments, through
/// the real server) is refused while it arrives, without buffering it: the process allocates far less than the
/// message while it is refused. Measured with the process-wide allocation counter, so the class runs alone.
/// </summary>
[Collection(StressTests.Name)]
public sealed class OversizedMessageTests
{
    private const long V1 = 1_700_000_000_000;
    private const int MaxMessageSize = 64 * 1024;
    private const int MessageSize = 64 * MaxMessageSize; // 4 MiB
    private const int Fragments = 256; // 16 KiB frames

    /// <summary>Generous (client buffers, WebSocket and Kestrel bookkeeping, the test's own tasks); buffering the message would cost 4-8 MiB.</summary>
    private const long AllocationBound = MessageSize / 4;

    [Fact]
    [Trait("Conformance", "INV-05")]
    public async Task MessageFarAboveMaxMessageSize_IsRefusedWithoutBufferingIt_ThenTheConnectionRecovers()
    {
        await using var h = await SyncHarness.CreateAsync(o => o.Streaming.MaxMessageSize = MaxMessageSize);
        h.Server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await h.StartAndSyncAsync();
        var message = HugeDataSync();
        Assert.Equal(MessageSize, message.Length);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            await h.Server.SendRawBytesAsync(message, Fragments, TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The client refuses the message and closes while the server is still sending it.
        }

        await h.AdvanceUntilAsync(() => h.Status.Current.LastError?.Contains("MaxMessageSize", StringComparison.Ordinal) == true, TimeSpan.Zero, "the refusal");
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < AllocationBound, $"Refusing a {MessageSize}-byte message allocated {allocated} bytes (bound {AllocationBound}).");
        TestContext.Current.SendDiagnosticMessage($"Refusing a {MessageSize}-byte message (MaxMessageSize {MaxMessageSize}) allocated {allocated} bytes process-wide.");
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2007);
        Assert.True(h.Client.BoolVariation("flag-a", FlagUser.Create("u")));

        // The connection is replaced (backoff in fake time) and syncing resumes from the cursor.
        await h.AdvanceUntilAsync(() => h.Server.DataSyncTimestamps.Count >= 2 && h.Status.Current.State == FeatureFlagsState.Ready, TimeSpan.FromSeconds(1), "the reconnect");
        Assert.Equal(V1, h.Server.DataSyncTimestamps[^1]);
        var change = h.NextChangeAsync();
        await h.Server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1), TestContext.Current.CancellationToken);
        await change;
        Assert.False(h.Client.BoolVariation("flag-a", FlagUser.Create("u"), defaultValue: true));
    }

    /// <summary>A well-formed data-sync of exactly <see cref="MessageSize"/> bytes (a flag with a huge description).</summary>
    private static byte[] HugeDataSync()
    {
        var flag = FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1);
        flag["description"] = string.Empty;
        var envelope = HostileInputTests.PatchMessage(flag.ToJsonString());
        var padding = MessageSize - Encoding.UTF8.GetByteCount(envelope);
        flag["description"] = new string('x', padding);
        return Encoding.UTF8.GetBytes(HostileInputTests.PatchMessage(flag.ToJsonString()));
    }
}
