using System.Net;
using System.Net.Sockets;
using FeatureFlags.Sync.Internal;
using Xunit;

namespace FeatureFlags.Tests.Sync;

/// <summary>
/// The connection token is masked where it is put into a message (the tokenised URL, the <c>token</c> query
/// parameter), not by replacing the secret wherever its characters happen to occur in an error text.
/// </summary>
public sealed class ErrorMaskingTests
{
    private static readonly Uri Base = new("wss://flags.example.com/base");

    [Fact]
    [Trait("Conformance", "API-06")]
    public void MaskToken_TokenisedUrlAndTokenParameter_AreMaskedAndTheRestIsKept()
    {
        const string Token = "QBWSPaQBWSPHDXZUQBWSPtoken";
        var uri = StreamingSession.BuildUri(Base, Token);
        var text = $"Unable to reach {uri.AbsoluteUri}; retried with token={Uri.EscapeDataString(Token)} and {Token}";

        var masked = StreamingSession.MaskToken(text, Base, Token);

        Assert.Equal(
            "Unable to reach wss://flags.example.com/base/streaming?type=server&token=***; retried with token=*** and ***",
            masked);
    }

    [Fact]
    public void MaskToken_ShortSecretInOrdinaryWords_LeavesThemIntact()
    {
        // The old scrub replaced the secret everywhere: with EnvSecret "a", "Unable" became "Un***ble".
        var token = new ConnectionTokenProvider(TimeProvider.System).Create("a");
        const string Text = "Unable to connect to the remote server: a connection attempt failed";

        Assert.Equal(Text, StreamingSession.MaskToken(Text, Base, token));
    }

    [Fact]
    [Trait("Conformance", "API-06")]
    public async Task ConnectFailed_SecretIsOneLetter_ErrorWordsAreIntactAndNoTokenAppears()
    {
        var deadPort = FreeLoopbackPort();
        await using var h = await SyncHarness.CreateAsync(o =>
        {
            o.EnvSecret = "a";
            o.Streaming.Uri = new Uri($"ws://127.0.0.1:{deadPort}/");
        });
        var failed = new TaskCompletionSource<FeatureFlagsStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Status.StatusChanged += (_, s) =>
        {
            if (s.LastError is not null)
            {
                failed.TrySetResult(s);
            }
        };

        await h.Service.StartAsync(CancellationToken.None);
        var status = await failed.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);

        var texts = h.Logs.GetSnapshot().Select(r => r.Message).Append(status.LastError!).ToList();
        Assert.Contains(h.Logs.GetSnapshot(), r => r.Id.Id == 2003);
        Assert.All(texts, t => Assert.DoesNotContain("***", t, StringComparison.Ordinal));
        Assert.All(texts, t => Assert.DoesNotContain("token=", t, StringComparison.Ordinal));
        Assert.Contains("connect", status.LastError, StringComparison.OrdinalIgnoreCase);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
