using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace FeatureFlags.Tests.Support;

/// <summary>A client's close frame as the server received it (see <see cref="FakeFeatBitServer.ClientCloses"/>).</summary>
/// <param name="ConnectionId">The server's id of the connection (1 for the first accepted one).</param>
/// <param name="Status">The close status the client sent (null when its close frame had no status).</param>
/// <param name="Description">The close description the client sent.</param>
/// <param name="ReceivedAt">When the frame arrived, on the server's <see cref="TimeProvider"/>.</param>
/// <param name="ReceivedTimestamp">When the frame arrived, as the server <see cref="TimeProvider"/>'s <see cref="TimeProvider.GetTimestamp"/> (the Stopwatch for the system clock).</param>
/// <param name="Answered">Whether the server sent its close frame back.</param>
internal sealed record ClientCloseFrame(
    long ConnectionId,
    WebSocketCloseStatus? Status,
    string? Description,
    DateTimeOffset ReceivedAt,
    long ReceivedTimestamp,
    bool Answered);

/// <summary>The push-before-reply race and the client's close handshake.</summary>
internal sealed partial class FakeFeatBitServer
{
    private static readonly TimeSpan UnansweredCloseHold = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<JsonObject[]> _racePushes = new();
    private int _earlyPushes;
    private int _olderReplies;
    private int _clientCloseCount;

    /// <summary>
    /// The race measured on a real server under load (protocol.md §1.12), on every data-sync request: the server takes
    /// its reply from a snapshot, then a concurrent change of the first flag (in insertion order) is saved and pushed
    /// to every serving connection as a <c>patch</c> (its <c>updatedAt</c> one millisecond above everything held and
    /// the cursor, its content changed by <see cref="RaceChange"/>), and only THEN the reply goes out: a <c>full</c>
    /// (cursor 0) or <c>patch</c> (a cursor below the flag's old version) carrying the OLDER version of that flag.
    /// No race when the server holds no flag. Off by default (see <see cref="EnqueueRacePush"/> for a one-off race).
    /// </summary>
    public bool RacePushBeforeReply { get; set; }

    /// <summary>
    /// How <see cref="RacePushBeforeReply"/> changes the flag (it gets a copy; the server then sets its <c>updatedAt</c>);
    /// null (the default) changes only the version.
    /// </summary>
    public Func<JsonObject, JsonObject>? RaceChange { get; set; }

    /// <summary>
    /// When true (the default), the server answers a client's close frame with its own at once (after
    /// <see cref="ClientCloseReplyDelay"/>). When false it never answers: the TCP connection stays open until the client
    /// aborts it (its close timeout) or 30 s pass, so a test can check the client gives up on its own.
    /// </summary>
    public bool AnswerClientClose { get; set; } = true;

    /// <summary>How long the server waits (real clock) before answering a client's close frame; zero by default.</summary>
    public TimeSpan ClientCloseReplyDelay { get; set; }

    /// <summary>Race pushes sent before the reply to a data-sync request (<see cref="RacePushBeforeReply"/>, <see cref="EnqueueRacePush"/>).</summary>
    public int EarlyPushes => Volatile.Read(ref _earlyPushes);

    /// <summary>Replies that carried an older version of a flag than the race push sent just before them.</summary>
    public int OlderReplies => Volatile.Read(ref _olderReplies);

    /// <summary>The close frames received from clients, in order (the last <see cref="MaxRecords"/>), recorded once the server answered or decided not to.</summary>
    public IReadOnlyList<ClientCloseFrame> ClientCloses => Snapshot(_clientCloses);

    /// <summary>
    /// A one-off race: the next data-sync request (on any connection) takes its reply from the state before these
    /// flags are saved, then the flags are saved and pushed (exactly as given, one <c>patch</c>) to every serving
    /// connection, then the older reply is sent. Queued races are used before <see cref="RacePushBeforeReply"/>.
    /// </summary>
    public void EnqueueRacePush(params JsonObject[] newerFlags)
    {
        ArgumentNullException.ThrowIfNull(newerFlags);
        ArgumentOutOfRangeException.ThrowIfZero(newerFlags.Length);
        foreach (var flag in newerFlags)
        {
            _ = KeyOf(flag, "key");
        }

        _racePushes.Enqueue([.. newerFlags.Select(f => (JsonObject)f.DeepClone())]);
    }

    /// <summary>Waits until at least <paramref name="count"/> client close frames have been handled (in total).</summary>
    public Task WaitForClientClosesAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => Volatile.Read(ref _clientCloseCount) >= count,
            () => $"Expected at least {count} client close frame(s) within {timeout} but saw {Volatile.Read(ref _clientCloseCount)} (open: {OpenConnections}).",
            timeout,
            ct);

    private async Task ReplyToDataSyncAsync(Connection connection, long cursor)
    {
        string reply;
        JsonObject[]? race;
        lock (_stateLock)
        {
            race = _racePushes.TryDequeue(out var queued) ? queued : RacePushBeforeReply ? AutomaticRace(cursor) : null;
            if (race is null)
            {
                reply = string.Empty;
            }
            else
            {
                reply = DataSyncReply(cursor); // the snapshot, taken before the concurrent change
                foreach (var flag in race)
                {
                    var key = KeyOf(flag, "key");
                    _flags[key] = (JsonObject)flag.DeepClone();
                    RaiseVersionFloor(UpdatedAtOf(flag));
                }
            }
        }

        if (race is null)
        {
            // Composed under the connection's send lock: a push racing this reply is either in the reply or sent
            // after it, never sent before a full reply that would then undo it.
            await connection.SendAsync(() => DataSyncReply(cursor), connection.Aborted);
            return;
        }

        await BroadcastAsync(DataSyncMessage("patch", race, [], TimestampShape.Push), connection.Aborted);
        Interlocked.Increment(ref _earlyPushes);
        if (CarriesOlderVersion(reply, race))
        {
            Interlocked.Increment(ref _olderReplies);
        }

        await connection.SendAsync(reply, connection.Aborted);
    }

    /// <summary>Under <see cref="_stateLock"/>: the first flag, changed, one millisecond above everything and the cursor.</summary>
    private JsonObject[]? AutomaticRace(long cursor)
    {
        if (_flags.Count == 0)
        {
            return null;
        }

        var changed = (JsonObject)_flags.GetAt(0).Value.DeepClone();
        changed = RaceChange?.Invoke(changed) ?? changed;
        changed["updatedAt"] = IsoTimestamp(Math.Max(Math.Max(CurrentMaxVersion(), _versionFloor), cursor) + 1);
        return [changed];
    }

    private static bool CarriesOlderVersion(string reply, JsonObject[] race)
    {
        var sent = (JsonNode.Parse(reply)?["data"]?["featureFlags"] as JsonArray)?.OfType<JsonObject>() ?? [];
        var versions = sent.ToDictionary(f => KeyOf(f, "key"), UpdatedAtOf, StringComparer.Ordinal);
        return race.Any(f => versions.TryGetValue(KeyOf(f, "key"), out var old) && old < UpdatedAtOf(f));
    }

    /// <summary>Called by the receive loop on the client's close frame: records it, then answers (or not) as configured.</summary>
    private async Task OnClientCloseAsync(Connection connection, WebSocketCloseStatus? status, string? description)
    {
        var receivedAt = _time.GetUtcNow();
        var receivedTimestamp = _time.GetTimestamp();
        var answer = AnswerClientClose;
        var delay = ClientCloseReplyDelay;
        var answered = false;
        if (answer)
        {
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, TimeProvider.System, connection.Aborted);
                }
                catch (OperationCanceledException)
                {
                }
            }

            answered = await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, null, connection.Aborted);
        }

        Record(_clientCloses, new ClientCloseFrame(connection.Id, status, description, receivedAt, receivedTimestamp, answered), ref _clientCloseCount);
        if (!answer)
        {
            try
            {
                await Task.Delay(UnansweredCloseHold, TimeProvider.System, connection.Aborted);
            }
            catch (OperationCanceledException)
            {
            }

            connection.Abort();
        }
    }
}
