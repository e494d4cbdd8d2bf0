using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Sync.Internal;

// The receive side of a session: frames reassembled into pooled segments, parsed from the segments, committed.
internal sealed partial class StreamingSession
{
    /// <summary>The pool the receive buffers come from (tests pass one that counts rents and returns).</summary>
    private readonly ArrayPool<byte>? _bufferPool;

    private async Task<SessionResult> ReceiveLoopAsync(ClientWebSocket socket, IFlagDataSourceUpdates updates, CancellationToken ct)
    {
        // Pooled segments, returned after each message and whenever the loop ends (success, error, cancellation).
        using var message = new PooledMessageBuffer(_bufferPool);
        long messageStartedAt = 0;
        while (true)
        {
            var memory = message.GetMemory();
            var received = await socket.ReceiveAsync(memory, ct).ConfigureAwait(false);
            var frameAt = _time.GetTimestamp();
            Volatile.Write(ref _lastFrameAt, frameAt);
            if (message.Length == 0)
            {
                // The first frame of a message: where its push-to-visible latency starts.
                messageStartedAt = frameAt;
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                if (_closingOnStop)
                {
                    // The server answered the close we sent on shutdown: a client stop, not the server's doing.
                    return new SessionResult(SessionEnd.Stopped, false, default, null);
                }

                var status = socket.CloseStatus;
                if (status == RejectedCloseStatus)
                {
                    var description = LogText.Escape(socket.CloseStatusDescription ?? string.Empty);
                    var cause = "The server rejected the connection (close code 4003" + (description.Length > 0 ? $" \"{description}\"" : string.Empty) + "): the environment secret is wrong or not a server-side secret, this machine's clock differs from the server's by more than 30 s (connection tokens expire after 30 s), or a FeatBit Agent restarted and is not loaded yet";
                    LogRejected(SafeEndpoint(_options.Streaming.Uri));
                    return new SessionResult(SessionEnd.Rejected, false, default, cause);
                }

                return new SessionResult(SessionEnd.ClosedByServer, false, default,
                    string.Create(CultureInfo.InvariantCulture, $"The server closed the connection ({(int?)status} {socket.CloseStatusDescription})"));
            }

            message.Advance(received.Count);
            // Checked per frame, so a message over the limit is refused before more than one segment past it is held.
            if (message.Length > _options.Streaming.MaxMessageSize)
            {
                LogMessageTooLarge(_options.Streaming.MaxMessageSize);
                await CloseQuietlyAsync(socket, WebSocketCloseStatus.MessageTooBig, "message too big").ConfigureAwait(false);
                return new SessionResult(SessionEnd.MessageTooLarge, false, default,
                    string.Create(CultureInfo.InvariantCulture, $"The server sent a message larger than MaxMessageSize ({_options.Streaming.MaxMessageSize} bytes); it was refused"));
            }

            if (!received.EndOfMessage)
            {
                continue;
            }

            if (received.MessageType == WebSocketMessageType.Text && !HandleMessage(message.GetSequence(), messageStartedAt, updates))
            {
                _replyTimedOut = true;
                socket.Abort();
                throw new WebSocketException("Too many pushes before the data-sync reply.");
            }

            // The message is parsed into its own objects: its segments go back to the pool for the next one.
            message.Reset();
        }
    }

    /// <summary>Handles one text message; false when the session must end (too many pushes held).</summary>
    private bool HandleMessage(in ReadOnlySequence<byte> json, long receivedAt, IFlagDataSourceUpdates updates)
    {
        string? type;
        try
        {
            type = ReadMessageType(json);
        }
        catch (JsonException ex)
        {
            LogMalformedMessage(LogText.Escape(ex.Message));
            return true;
        }

        if (!string.Equals(type, "data-sync", StringComparison.OrdinalIgnoreCase))
        {
            if (!string.Equals(type, "pong", StringComparison.OrdinalIgnoreCase))
            {
                var ignored = LogText.Escape(type ?? "(none)");
                LogIgnoredMessage(ignored);
            }

            return true;
        }

        FlagDataSet data;
        try
        {
            var payload = WireJson.ReadValidatedDataSync(json);
            if (payload.EventType is not { } eventType
                || !(string.Equals(eventType, "full", StringComparison.OrdinalIgnoreCase) || string.Equals(eventType, "patch", StringComparison.OrdinalIgnoreCase)))
            {
                // Neither a full set nor a patch: applying it either way could delete or keep the wrong data.
                throw new JsonException($"A data-sync with eventType '{payload.EventType ?? "(none)"}' is neither 'full' nor 'patch'.");
            }

            data = FlagDataSet.From(payload);
        }
        catch (JsonException ex)
        {
            // The last good flags keep serving; the next push or reconnect brings the data again.
            LogMalformedMessage(LogText.Escape(ex.Message));
            return true;
        }

        if (_awaitingFull && !data.IsFull)
        {
            // A push that overtook the reply to our full request: held, applied right after the reply.
            if (_held.Count >= MaxHeldPushes)
            {
                return false;
            }

            LogHeldPush(data.Version);
            _held.Add(data);
            return true;
        }

        Commit(data, receivedAt, updates);
        if (_awaitingFull)
        {
            _awaitingFull = false;
            foreach (var push in _held)
            {
                Commit(push, receivedAt, updates);
            }

            _held.Clear();
        }

        if (!_synced)
        {
            _syncedAt = _time.GetTimestamp();
            _synced = true;
            updates.UpdateStatus(FeatureFlagsState.Ready);
        }

        return true;
    }

    private void Commit(FlagDataSet data, long receivedAt, IFlagDataSourceUpdates updates)
    {
        var started = _time.GetTimestamp();
        updates.Apply(data);
        var applied = _time.GetTimestamp();
        _metrics?.RecordDataSync(FlagDataSourceNames.Streaming, data.IsFull, _time.GetElapsedTime(started, applied), _time.GetElapsedTime(receivedAt, applied));
    }

    /// <summary>Reads the top-level <c>messageType</c> without materialising the message.</summary>
    private static string? ReadMessageType(in ReadOnlySequence<byte> json)
        => WireJson.TryReadTopLevelString(json, "messageType"u8, out var type)
            ? type
            : throw new JsonException("A streaming message must be a JSON object.");
}
