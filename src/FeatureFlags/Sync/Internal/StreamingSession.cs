using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.Sync.Internal;

/// <summary>How a streaming session ended.</summary>
internal enum SessionEnd
{
    /// <summary>The connection could not be opened.</summary>
    ConnectFailed,

    /// <summary>
    /// The server answered the WebSocket upgrade over HTTP with a status other than 101: something between the SDK and
    /// the server (a proxy, a load balancer) does not pass WebSockets. A failover trigger in <c>DataSync = Auto</c>.
    /// </summary>
    UpgradeRefused,

    /// <summary>The server closed the connection (any code but 4003).</summary>
    ClosedByServer,

    /// <summary>The server closed with 4003: bad secret or expired token. Permanent.</summary>
    Rejected,

    /// <summary>The connection broke (TCP reset, protocol error).</summary>
    ConnectionLost,

    /// <summary>Nothing arrived for three ping intervals: the connection was presumed dead and aborted.</summary>
    LivenessTimeout,

    /// <summary>The server sent a message larger than the configured maximum.</summary>
    MessageTooLarge,

    /// <summary>No reply to our data-sync request within <c>DataSyncTimeout</c>, or too many pushes held while waiting for it.</summary>
    NoReply,

    /// <summary>
    /// We shut down: a client stop, also when the server's close frame ended the session (it only echoed our close).
    /// Not a failure: neither logged as an ended session (2010) nor counted by <c>featureflags.sync.failures</c>.
    /// </summary>
    Stopped,
}

/// <summary>What one session did.</summary>
/// <param name="End">How it ended.</param>
/// <param name="Synced">Whether the reply to our data-sync request was committed.</param>
/// <param name="Duration">From connect to end.</param>
/// <param name="Error">What went wrong, safe to log.</param>
internal sealed record SessionResult(SessionEnd End, bool Synced, TimeSpan Duration, string? Error)
{
    /// <summary>Gets how long the session was in sync (from the commit of the reply to the end).</summary>
    public TimeSpan SyncedFor { get; init; }
}

/// <summary>
/// One connect-and-receive session with a FeatBit server: connect with a fresh token, request a data-sync from the
/// cursor, commit the reply and every push through the data system, ping, and watch liveness. Never throws except for
/// cancellation; the result says how it ended.
/// </summary>
/// <remarks>
/// <para>Ready means complete: on a full request (cursor 0) the server may push changes before its reply, and the
/// reply may carry an older version of a flag than such a push. Pushes that arrive before the reply are therefore held,
/// and applied after it (as patches: newer versions win), so no flag goes back. Only then is Ready reported. On a
/// cursor request every message is a patch applied by version, so order cannot move a flag back; the first one
/// reports Ready.</para>
/// <para>A clean close: on shutdown the session sends a close frame and keeps receiving until the server answers
/// it, for at most <c>CloseTimeout</c>; then it aborts.</para>
/// </remarks>
internal sealed partial class StreamingSession : IDisposable
{
    internal const string UserAgent = "featureflags-aspnetcore-server-sdk";
    internal const WebSocketCloseStatus RejectedCloseStatus = (WebSocketCloseStatus)4003;

    /// <summary>The most pushes held while waiting for the reply to a full request; past it the connection is replaced.</summary>
    internal const int MaxHeldPushes = 1_000;

    private static readonly byte[] PingMessage = """{"messageType":"ping","data":{}}"""u8.ToArray();

    private readonly FeatureFlagsOptions _options;
    private readonly IConnectionTokenProvider _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FeatureFlagsMetrics? _metrics;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<FlagDataSet> _held = [];
    private long _lastFrameAt;
    private long _syncedAt;
    private bool _livenessExpired;
    private bool _awaitingFull;
    private volatile bool _synced;
    private volatile bool _replyTimedOut;
    private volatile bool _closingOnStop;

    public StreamingSession(
        FeatureFlagsOptions options, IConnectionTokenProvider tokens, TimeProvider time, ILogger logger, FeatureFlagsMetrics? metrics = null,
        ArrayPool<byte>? bufferPool = null)
    {
        _bufferPool = bufferPool;
        _options = options;
        _tokens = tokens;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    public void Dispose() => _sendLock.Dispose();

    /// <summary>The endpoint without the token and without user info (refused by validation anyway), safe to log.</summary>
    public static string SafeEndpoint(Uri streamingBase)
        => new UriBuilder(new Uri(NormaliseBase(streamingBase), "streaming")) { UserName = string.Empty, Password = string.Empty, Query = string.Empty }.Uri.GetLeftPart(UriPartial.Path);

    /// <summary>The streaming URL for a token; keeps a base path prefix.</summary>
    public static Uri BuildUri(Uri streamingBase, string token)
        => new(NormaliseBase(streamingBase), "streaming?type=server&token=" + Uri.EscapeDataString(token));

    /// <summary>Runs the session until the connection ends or <paramref name="stoppingToken"/> is cancelled.</summary>
    /// <param name="cursor">The data-sync cursor to request (0 = full data set).</param>
    /// <param name="updates">Where data is committed and Ready is reported.</param>
    /// <param name="stoppingToken">Signals shutdown: the socket is then closed cleanly within <c>CloseTimeout</c>.</param>
    public async Task<SessionResult> RunAsync(long cursor, IFlagDataSourceUpdates updates, CancellationToken stoppingToken)
    {
        var started = _time.GetTimestamp();
        var endpoint = SafeEndpoint(_options.Streaming.Uri);
        var token = _tokens.Create(_options.EnvSecret);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("User-Agent", UserAgent);
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // we ping at the protocol level and watch liveness ourselves
        socket.Options.CollectHttpResponseDetails = true; // the status of a refused upgrade, for the error and failover

        LogConnecting(endpoint, cursor);
        try
        {
            using var timeout = new CancellationTokenSource(_options.Streaming.ConnectTimeout, _time);
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            await socket.ConnectAsync(BuildUri(_options.Streaming.Uri, token), connect.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // An HTTP answer without 101: the server (or something in front of it) does not speak WebSocket there.
            if (socket.HttpStatusCode != 0 && socket.HttpStatusCode != HttpStatusCode.SwitchingProtocols)
            {
                var status = (int)socket.HttpStatusCode;
                LogUpgradeRefused(endpoint, status);
                return new SessionResult(SessionEnd.UpgradeRefused, false, _time.GetElapsedTime(started), string.Create(CultureInfo.InvariantCulture,
                    $"Could not connect to {endpoint}: the WebSocket upgrade was answered with HTTP {status} instead of 101 (a proxy or load balancer that does not pass WebSockets?)"));
            }

            var error = ex is OperationCanceledException ? $"connect timed out after {_options.Streaming.ConnectTimeout}" : MaskToken(ex.Message, _options.Streaming.Uri, token);
            LogConnectFailed(endpoint, LogText.Escape(error));
            return new SessionResult(SessionEnd.ConnectFailed, false, _time.GetElapsedTime(started), $"Could not connect to {endpoint}: {error}");
        }

        LogConnected(endpoint);
        _metrics?.Connects.Add(1);
        _lastFrameAt = _time.GetTimestamp();

        // Not linked to the stopping token: cancelling a receive aborts the socket, and a stop must close it cleanly.
        using var session = new CancellationTokenSource();
        using var closeOnStop = stoppingToken.Register(() => _ = CloseOnStopAsync(socket));
        _awaitingFull = cursor == 0;
        var ping = PingLoopAsync(socket, session.Token);
        SessionResult result;
        try
        {
            await SendAsync(socket, DataSyncRequest(cursor), session.Token).ConfigureAwait(false);
            using var replyDeadline = _time.CreateTimer(
                static s => ((StreamingSession)s!).OnReplyDeadline(), this, _options.Streaming.DataSyncTimeout, Timeout.InfiniteTimeSpan);
            _replySocket = socket;
            result = await ReceiveLoopAsync(socket, updates, session.Token).ConfigureAwait(false);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            result = new SessionResult(SessionEnd.Stopped, _synced, default, null);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            result = _livenessExpired
                ? new SessionResult(SessionEnd.LivenessTimeout, _synced, default, $"No message from the server for {3 * _options.Streaming.PingInterval}; the connection was presumed dead")
                : _replyTimedOut
                    ? new SessionResult(SessionEnd.NoReply, _synced, default, $"No reply to the data-sync request within {_options.Streaming.DataSyncTimeout}{(_held.Count >= MaxHeldPushes ? $" (and more than {MaxHeldPushes} pushes before it)" : string.Empty)}")
                    : new SessionResult(SessionEnd.ConnectionLost, _synced, default, "Connection lost: " + MaskToken(ex.Message, _options.Streaming.Uri, token));
        }
        finally
        {
            Volatile.Write(ref _ended, true);
            Interlocked.Exchange(ref _closeDeadline, null)?.Dispose();
            _replySocket = null;
            await session.CancelAsync().ConfigureAwait(false);
            await ping.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var ended = _time.GetTimestamp();
        result = result with
        {
            Synced = _synced || result.Synced,
            Duration = _time.GetElapsedTime(started, ended),
            SyncedFor = _synced ? _time.GetElapsedTime(_syncedAt, ended) : TimeSpan.Zero,
        };
        if (result.End == SessionEnd.Stopped)
        {
            LogStoppedByClient(endpoint);
        }
        else
        {
            var error = LogText.Escape(result.Error ?? "no error");
            LogSessionEnded(endpoint, result.End, error);
        }

        return result;
    }

    private ClientWebSocket? _replySocket;
    private ITimer? _closeDeadline;
    private bool _ended;

    /// <summary>No reply to our request in time (the server ignores a request it cannot read): replace the connection.</summary>
    private void OnReplyDeadline()
    {
        if (_synced || _closingOnStop || _replySocket is not { } socket)
        {
            return;
        }

        _replyTimedOut = true;
        socket.Abort();
    }

    private async Task PingLoopAsync(ClientWebSocket socket, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.Streaming.PingInterval, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            if (_time.GetElapsedTime(Volatile.Read(ref _lastFrameAt)) >= 3 * _options.Streaming.PingInterval)
            {
                LogLivenessTimeout(3 * _options.Streaming.PingInterval);
                _livenessExpired = true;
                socket.Abort();
                return;
            }

            try
            {
                await SendAsync(socket, PingMessage, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
            {
                return; // the receive loop reports the broken connection
            }
        }
    }

    private async Task SendAsync(ClientWebSocket socket, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        // Sends are serialised so a ping never interleaves with a data-sync request.
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task CloseOnStopAsync(ClientWebSocket socket)
    {
        // A clean close: send ours and let the receive loop read on until the server answers it; past CloseTimeout, abort.
        _closingOnStop = true;
        var deadline = _time.CreateTimer(static s => ((ClientWebSocket)s!).Abort(), socket, _options.Streaming.CloseTimeout, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _closeDeadline, deadline, null) is not null || Volatile.Read(ref _ended))
        {
            deadline.Dispose();
            return;
        }

        await CloseQuietlyAsync(socket, WebSocketCloseStatus.NormalClosure, "client shutting down").ConfigureAwait(false);
    }

    private async Task CloseQuietlyAsync(ClientWebSocket socket, WebSocketCloseStatus status, string description)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.Streaming.CloseTimeout, _time);
            await _sendLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            socket.Abort();
        }
    }

    private static byte[] DataSyncRequest(long cursor)
        => Encoding.UTF8.GetBytes("""{"messageType":"data-sync","data":{"timestamp":""" + cursor.ToString(CultureInfo.InvariantCulture) + "}}");

    private static Uri NormaliseBase(Uri streamingBase)
    {
        var builder = new UriBuilder(streamingBase) { Query = string.Empty, Fragment = string.Empty };
        builder.Scheme = builder.Scheme switch
        {
            "http" => "ws",
            "https" => "wss",
            _ => builder.Scheme,
        };
        if (builder.Uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        return builder.Uri;
    }

    /// <summary>
    /// Masks the connection token where an error text quotes it: the tokenised URL becomes the safe endpoint with
    /// <c>token=***</c>, and a bare token (raw or URL-escaped) becomes <c>***</c>. Nothing else is touched: the
    /// environment secret is never put into a URL or message by the SDK (the token carries it split around the encoded
    /// timestamp), so ordinary words that happen to contain a short secret stay intact.
    /// </summary>
    internal static string MaskToken(string text, Uri streamingBase, string token)
    {
        if (string.IsNullOrEmpty(text) || string.IsNullOrEmpty(token))
        {
            return text;
        }

        var uri = BuildUri(streamingBase, token);
        var masked = SafeEndpoint(streamingBase) + "?type=server&token=***";
        var escaped = Uri.EscapeDataString(token);
        return text
            .Replace(uri.AbsoluteUri, masked, StringComparison.Ordinal)
            .Replace(uri.OriginalString, masked, StringComparison.Ordinal)
            .Replace("token=" + escaped, "token=***", StringComparison.Ordinal)
            .Replace("token=" + token, "token=***", StringComparison.Ordinal)
            .Replace(escaped, "***", StringComparison.Ordinal)
            .Replace(token, "***", StringComparison.Ordinal);
    }
}
