using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeatureFlags.Sync.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FeatureFlags.Tests.Support;

/// <summary>Accepting, validating and serving one WebSocket.</summary>
internal sealed partial class FakeFeatBitServer
{
    private int _invalidTimestampRequests;

    /// <summary>
    /// When false (the default, as measured on a real server), a data-sync request whose <c>timestamp</c> is present but
    /// not an integer (a string, a fraction, a boolean, an object) gets no reply at all and the connection stays open
    /// (the real server logs an exception); it is counted in <see cref="InvalidTimestampRequests"/>, not in
    /// <see cref="DataSyncTimestamps"/>. When true, it is read as 0 and answered with a full data set (what the server's
    /// source code suggests). A missing <c>timestamp</c> (or <c>data</c>) is a full sync either way.
    /// </summary>
    public bool ReplyToNonNumericTimestamp { get; set; }

    /// <summary>Data-sync requests left unanswered because their <c>timestamp</c> was not a number.</summary>
    public int InvalidTimestampRequests => Volatile.Read(ref _invalidTimestampRequests);

    private async Task HandleRequestAsync(HttpContext context)
    {
        if (!IsStreamingPath(context.Request.Path) || !context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!_accepting)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        Record(_requestUris, string.IsNullOrEmpty(rawTarget) ? $"{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}" : rawTarget, ref _requestUriCount);

        var script = _scripts.TryDequeue(out var next) ? next : ConnectionScript.Normal;
        var serverStopping = _appStopping?.Token ?? new CancellationToken(canceled: true);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var connection = new Connection(this, Interlocked.Increment(ref _nextConnectionId), context, socket, script, serverStopping);
        _connections[connection.Id] = connection;
        Interlocked.Increment(ref _connectionCount);
        Signal();
        try
        {
            await ServeAsync(connection, context.Request.Query);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException
                                       or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The peer went away, we aborted, or the server is stopping: nothing to do.
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            connection.MarkFinished();
            Signal();
        }
    }

    private async Task ServeAsync(Connection connection, IQueryCollection query)
    {
        if (Interlocked.Exchange(ref _databaseRestartPending, 0) == 1)
        {
            Interlocked.Increment(ref _databaseRestartCloses);
            await CloseAndDrainAsync(connection, WebSocketCloseStatus.InternalServerError, ServiceUnavailableDescription);
            return;
        }

        switch (connection.Script)
        {
            case ConnectionScript.DropAfterAccept:
                await DropOnFirstMessageAsync(connection);
                return;
            case ConnectionScript.CloseWith1011AfterAccept:
                await CloseAndDrainAsync(connection, WebSocketCloseStatus.InternalServerError, ServiceUnavailableDescription);
                return;
            case ConnectionScript.RejectWith4003:
                await CloseAndDrainAsync(connection, (WebSocketCloseStatus)4003, InvalidRequestDescription);
                return;
            default:
                break;
        }

        if (AgentMode && !AgentHasData)
        {
            Interlocked.Increment(ref _agentRejections);
            await CloseAndDrainAsync(connection, (WebSocketCloseStatus)4003, SecretNotFoundDescription);
            return;
        }

        if (!IsValid(query))
        {
            await CloseAndDrainAsync(connection, (WebSocketCloseStatus)4003, InvalidRequestDescription);
            return;
        }

        if (connection.Script == ConnectionScript.SendGarbageThenNormal)
        {
            await connection.SendAsync(GarbageText, connection.Aborted);
            await connection.SendAsync(GarbageDataSync, connection.Aborted);
        }

        connection.IsServing = connection.Script != ConnectionScript.StallNoReplies;
        var syncs = 0;
        while (await connection.ReceiveTextAsync() is { } text)
        {
            var messageType = ParseEnvelope(text, out var data);
            try
            {
                if (string.Equals(messageType, "data-sync", StringComparison.OrdinalIgnoreCase))
                {
                    if (!TryReadCursor(data, out var cursor) && !ReplyToNonNumericTimestamp)
                    {
                        Interlocked.Increment(ref _invalidTimestampRequests);
                        continue;
                    }

                    // Recorded when the request is read, before the reply: a client that has the reply can rely on the record.
                    Record(_dataSyncTimestamps, cursor, ref _dataSyncCount);
                    if (RespondToDataSync && connection.IsServing)
                    {
                        await ReplyToDataSyncAsync(connection, cursor);
                    }

                    if (++syncs == 1 && connection.Script == ConnectionScript.CloseWith1000AfterFirstSync)
                    {
                        await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, null, connection.Aborted);
                    }
                }
                else if (string.Equals(messageType, "ping", StringComparison.OrdinalIgnoreCase) && RespondToPings && connection.IsServing && !IsPaused)
                {
                    await connection.SendAsync(PongMessage, connection.Aborted);
                }
            }
            finally
            {
                Record(_receivedMessages, text, ref _receivedCount);
            }
        }
    }

    private static async Task CloseAndDrainAsync(Connection connection, WebSocketCloseStatus code, string description)
    {
        await connection.CloseAsync(code, description, connection.Aborted);
        await DrainAsync(connection);
    }

    private async Task DropOnFirstMessageAsync(Connection connection)
    {
        try
        {
            var text = await connection.ReceiveTextAsync().WaitAsync(CloseHandshakeTimeout, TimeProvider.System, connection.Aborted);
            if (text is not null)
            {
                if (string.Equals(ParseEnvelope(text, out var data), "data-sync", StringComparison.OrdinalIgnoreCase))
                {
                    _ = TryReadCursor(data, out var cursor);
                    Record(_dataSyncTimestamps, cursor, ref _dataSyncCount);
                }

                Record(_receivedMessages, text, ref _receivedCount);
            }
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            connection.Abort();
        }
    }

    /// <summary>After the server's close frame: read until the client's close (or the close timeout aborts the socket).</summary>
    private static async Task DrainAsync(Connection connection)
    {
        while (await connection.ReceiveTextAsync() is not null)
        {
        }
    }

    /// <summary><c>/streaming</c> as the real server (StartsWithSegments), or behind a prefix such as <c>/featbit/streaming</c>.</summary>
    private static bool IsStreamingPath(PathString path)
        => (path.Value ?? string.Empty).Split('/').Contains("streaming", StringComparer.OrdinalIgnoreCase);

    /// <summary>The real server's checks (protocol §1.1, §1.2): type, version, token shape, secret, expiry.</summary>
    private bool IsValid(IQueryCollection query)
    {
        if (!string.Equals(query["type"], "server", StringComparison.Ordinal))
        {
            return false;
        }

        var version = query["version"].ToString();
        if (version.Length != 0 && version is not ("1" or "2"))
        {
            return false;
        }

        if (!ConnectionTokenProvider.TryParse(query["token"].ToString(), out _, out var timestamp, out var secret))
        {
            return false;
        }

        var padded = secret.PadRight(secret.Length + ((4 - (secret.Length % 4)) % 4), '=');
        if (padded.Length != 44 || !string.Equals(padded, Secret, StringComparison.Ordinal))
        {
            return false;
        }

        var skewMs = Math.Abs(_time.GetUtcNow().ToUnixTimeMilliseconds() - timestamp);
        return skewMs <= TokenExpiry.TotalMilliseconds;
    }

    /// <summary>
    /// <c>data.timestamp</c>: 0 when <c>data</c> or the timestamp is missing or null; false (cursor 0) when it is
    /// present but not an integer.
    /// </summary>
    private static bool TryReadCursor(JsonNode? data, out long cursor)
    {
        cursor = 0;
        if (data is not JsonObject d || d["timestamp"] is not { } timestamp)
        {
            return true;
        }

        return timestamp is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out cursor);
    }

    /// <summary>The message type when the text is an object with both <c>messageType</c> and <c>data</c>; otherwise null.</summary>
    private static string? ParseEnvelope(string text, out JsonNode? data)
    {
        data = null;
        try
        {
            if (JsonNode.Parse(text) is JsonObject root
                && root.TryGetPropertyValue("messageType", out var type)
                && root.TryGetPropertyValue("data", out data)
                && type is JsonValue typeValue
                && typeValue.TryGetValue<string>(out var messageType))
            {
                return messageType;
            }
        }
        catch (JsonException)
        {
        }

        data = null;
        return null;
    }
}
