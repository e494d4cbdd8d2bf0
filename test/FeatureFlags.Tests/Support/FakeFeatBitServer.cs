using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace FeatureFlags.Tests.Support;

/// <summary>What the server does with the next connection (see <see cref="FakeFeatBitServer.EnqueueScript"/>).</summary>
internal enum ConnectionScript
{
    /// <summary>Like the real server: validate, then answer data-sync and ping.</summary>
    Normal,

    /// <summary>Accept the upgrade, then close with 4003 whatever the token (a rejected secret).</summary>
    RejectWith4003,

    /// <summary>Accept the upgrade, then close with 1011 (the real server's "store unavailable" answer).</summary>
    CloseWith1011AfterAccept,

    /// <summary>Serve normally, then close with 1000 right after answering the first data-sync (a server restart).</summary>
    CloseWith1000AfterFirstSync,

    /// <summary>
    /// Accept and read (messages are recorded), but never send anything (no replies, no pushes) and never start a close
    /// (an application that hangs). The WebSocket layer still answers a close the client starts.
    /// </summary>
    StallNoReplies,

    /// <summary>
    /// Accept the upgrade, then drop the TCP connection without a close handshake as soon as the client's first message
    /// (its data-sync) arrives, or after 2 s. Waiting for that message guarantees the client saw the handshake succeed:
    /// a reset sent right after the 101 response can destroy it unread, and the client would see a failed connect instead.
    /// </summary>
    DropAfterAccept,

    /// <summary>Send <c>not json {</c> and a data-sync whose <c>featureFlags</c> is not an array, then serve normally.</summary>
    SendGarbageThenNormal,
}

/// <summary>
/// A real, in-process FeatBit evaluation server for tests: Kestrel on an OS-assigned loopback port, speaking the
/// streaming protocol of protocol.md §1 (token validation and 4003, data-sync full/patch, ping/pong, unsolicited
/// patches, close codes), with the behaviours measured on a real server (protocol.md §1.12) and knobs to misbehave
/// (scripts, garbage, fragmentation, drops, crash, stop/restart, the push-before-reply race, FeatBit Agent mode).
/// </summary>
/// <remarks>
/// <para>The <see cref="TimeProvider"/> given to <see cref="StartAsync"/> is the server's clock for token expiry and
/// for <see cref="ClientCloseFrame.ReceivedAt"/>; every wait and timeout of this class uses the real clock
/// (<see cref="TimeProvider.System"/>).</para>
/// <para>A message is recorded (<see cref="ReceivedMessages"/>, <see cref="DataSyncTimestamps"/>) after the server
/// has handled it, so once a wait returns, the reply (if any) has already been sent. Every record list keeps the last
/// <see cref="MaxRecords"/> entries (the waits count all of them).</para>
/// <para>Like the real server it never pings; it answers a ping with exactly <c>{"messageType":"pong","data":{}}</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var server = await FakeFeatBitServer.StartAsync();
/// server.UpsertFlag(FakeFeatBitServer.BoolFlag("f", true, 1_700_000_000_000));
/// // point the SDK at server.StreamingUri with server.Secret ...
/// await server.WaitForDataSyncAsync(1, TimeSpan.FromSeconds(5));
/// await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("f", false, 1_700_000_000_001));
/// </code>
/// </example>
internal sealed partial class FakeFeatBitServer : IAsyncDisposable
{
    /// <summary>A structurally valid 44-char server secret (the FeatBit evaluation server's own test secret).</summary>
    public const string DefaultSecret = "v3faJy3RCUO8d-EJiVdN6waRfGjfNan02Ms9c0LiTD6w";

    /// <summary>The description the real server sends with 4003.</summary>
    public const string InvalidRequestDescription = "invalid request, close by server";

    /// <summary>The description the real server sends with 1011.</summary>
    public const string ServiceUnavailableDescription = "service unavailable, close by server";

    /// <summary>How many entries each record list keeps (the oldest are dropped first).</summary>
    public const int MaxRecords = 10_000;

    private const string GarbageText = "not json {";
    private const string GarbageDataSync = """{"messageType":"data-sync","data":{"eventType":"full","featureFlags":"oops"}}""";
    private const string PongMessage = """{"messageType":"pong","data":{}}""";
    private const int MaxIncomingMessageBytes = 1024 * 1024;

    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(3);

    private readonly TimeProvider _time;
    private readonly Lock _stateLock = new();
    private readonly OrderedDictionary<string, JsonObject> _flags = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, JsonObject> _segments = new(StringComparer.Ordinal);
    private readonly Lock _recordLock = new();
    private readonly Queue<long> _dataSyncTimestamps = new();
    private readonly Queue<string> _receivedMessages = new();
    private readonly Queue<string> _requestUris = new();
    private readonly Queue<ClientCloseFrame> _clientCloses = new();
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly ConcurrentQueue<ConnectionScript> _scripts = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly Lock _holdLock = new();
    private List<string>? _held;
    private TaskCompletionSource _changed = NewSignal();
    private WebApplication? _app;
    private CancellationTokenSource? _appStopping;
    private long _nextConnectionId;
    private int _connectionCount;
    private int _dataSyncCount;
    private int _receivedCount;
    private int _requestUriCount;
    private int _disposed;
    private volatile bool _accepting;

    private FakeFeatBitServer(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>The environment secret the server accepts (embedded in the connection token); like the real server, only a 44-char secret can match.</summary>
    public string Secret { get; set; } = DefaultSecret;

    /// <summary>How far the token timestamp may be from the server clock (the real default: 30 s).</summary>
    public TimeSpan TokenExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When false, pings are read and recorded but not answered.</summary>
    public bool RespondToPings { get; set; } = true;

    /// <summary>When false, data-sync requests are read and recorded but not answered.</summary>
    public bool RespondToDataSync { get; set; } = true;

    /// <summary>The loopback port, fixed for the server's lifetime (kept across <see cref="RestartAsync(CancellationToken)"/>).</summary>
    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary><c>ws://127.0.0.1:port/</c>: the SDK appends <c>streaming?type=server&amp;token=...</c>.</summary>
    public Uri StreamingUri => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>Whether Kestrel is listening (false between <see cref="StopAsync"/>/<see cref="CrashAsync"/> and <see cref="RestartAsync(CancellationToken)"/>).</summary>
    public bool IsRunning => Volatile.Read(ref _app) is not null;

    /// <summary>Total WebSocket upgrades accepted (rejected, dropped and stalled ones included).</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Accepted WebSockets whose server side has not finished yet.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>
    /// The cursor (<c>data.timestamp</c>, 0 when missing) of every answerable data-sync request, in order (the last
    /// <see cref="MaxRecords"/>). A request whose timestamp is not a number is not listed (see <see cref="InvalidTimestampRequests"/>).
    /// </summary>
    public IReadOnlyList<long> DataSyncTimestamps => Snapshot(_dataSyncTimestamps);

    /// <summary>Every text message received from any client, in order, after the server handled it (the last <see cref="MaxRecords"/>).</summary>
    public IReadOnlyList<string> ReceivedMessages => Snapshot(_receivedMessages);

    /// <summary>The raw path and query of every WebSocket upgrade request to a streaming path, in order (the last <see cref="MaxRecords"/>).</summary>
    public IReadOnlyList<string> RequestUris => Snapshot(_requestUris);

    /// <summary>Starts a server on an OS-assigned loopback port.</summary>
    /// <param name="time">The server clock for token expiry and close-frame arrival times (default: the system clock).</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<FakeFeatBitServer> StartAsync(TimeProvider? time = null, CancellationToken ct = default)
    {
        var server = new FakeFeatBitServer(time ?? TimeProvider.System);
        try
        {
            await server.StartAppAsync(0, ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A minimal valid FeatBit boolean flag: enabled, variations "true"/"false", fallthrough 100% to <paramref name="value"/>.</summary>
    public static JsonObject BoolFlag(string key, bool value, long updatedAtMs, bool archived = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var timestamp = IsoTimestamp(updatedAtMs);
        return new JsonObject
        {
            ["id"] = DeterministicGuid(key).ToString(),
            ["envId"] = "8dc61769-5af3-4d9f-8cb3-d7342e24c3eb",
            ["name"] = key,
            ["description"] = "",
            ["key"] = key,
            ["variationType"] = "boolean",
            ["variations"] = new JsonArray
            {
                new JsonObject { ["id"] = "v-true", ["name"] = "True", ["value"] = "true" },
                new JsonObject { ["id"] = "v-false", ["name"] = "False", ["value"] = "false" },
            },
            ["targetUsers"] = new JsonArray(),
            ["rules"] = new JsonArray(),
            ["isEnabled"] = true,
            ["disabledVariationId"] = "v-false",
            ["fallthrough"] = new JsonObject
            {
                ["dispatchKey"] = null,
                ["includedInExpt"] = false,
                ["variations"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["id"] = value ? "v-true" : "v-false",
                        ["rollout"] = new JsonArray(0, 1),
                        ["exptRollout"] = 1,
                    },
                },
            },
            ["exptIncludeAllTargets"] = true,
            ["tags"] = new JsonArray(),
            ["isArchived"] = archived,
            ["createdAt"] = timestamp,
            ["updatedAt"] = timestamp,
        };
    }

    /// <summary>Replaces the whole state from a data-sync envelope or a bare payload (<c>{"featureFlags":[...],"segments":[...]}</c>); in <see cref="AgentMode"/> this is the agent's load.</summary>
    public void LoadFull(string dataSyncJson)
    {
        var root = JsonNode.Parse(dataSyncJson) as JsonObject
            ?? throw new ArgumentException("The data-sync JSON must be an object.", nameof(dataSyncJson));
        var payload = root["data"] as JsonObject ?? root;
        var flags = (payload["featureFlags"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var segments = (payload["segments"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        lock (_stateLock)
        {
            _flags.Clear();
            _segments.Clear();
            foreach (var flag in flags)
            {
                _flags[KeyOf(flag, "key")] = (JsonObject)flag.DeepClone();
            }

            foreach (var segment in segments)
            {
                _segments[KeyOf(segment, "id")] = (JsonObject)segment.DeepClone();
            }

            _agentHasData = true;
            RaiseVersionFloor(CurrentMaxVersion());
        }
    }

    /// <summary>Stores (inserts or replaces by <c>key</c>) a flag without telling anyone.</summary>
    public void UpsertFlag(JsonObject flag)
    {
        ArgumentNullException.ThrowIfNull(flag);
        var key = KeyOf(flag, "key");
        lock (_stateLock)
        {
            _flags[key] = (JsonObject)flag.DeepClone();
            RaiseVersionFloor(UpdatedAtOf(flag));
        }
    }

    /// <summary>Stores (inserts or replaces by <c>id</c>) a segment without telling anyone.</summary>
    public void UpsertSegment(JsonObject segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var id = KeyOf(segment, "id");
        lock (_stateLock)
        {
            _segments[id] = (JsonObject)segment.DeepClone();
            RaiseVersionFloor(UpdatedAtOf(segment));
        }
    }

    /// <summary>Hard-deletes a flag (the real server only deletes archived ones; no message is sent); true when it existed.</summary>
    public bool RemoveFlag(string key)
    {
        lock (_stateLock)
        {
            return _flags.Remove(key);
        }
    }

    /// <summary>Hard-deletes a segment (no message is sent); true when it existed.</summary>
    public bool RemoveSegment(string id)
    {
        lock (_stateLock)
        {
            return _segments.Remove(id);
        }
    }

    /// <summary>
    /// Upserts the flag, then pushes <c>{"eventType":"patch","featureFlags":[flag],"segments":[]}</c> to every open
    /// connection (with <see cref="RealisticTimestamps"/>, <c>updatedAt</c> is sent with a <c>+00:00</c> offset).
    /// </summary>
    public Task PushFlagAsync(JsonObject flag, CancellationToken ct = default)
    {
        UpsertFlag(flag);
        return BroadcastAsync(DataSyncMessage("patch", [flag], [], TimestampShape.Push), ct);
    }

    /// <summary>Upserts the segment, then pushes <c>{"eventType":"patch","featureFlags":[],"segments":[segment]}</c> to every open connection.</summary>
    public Task PushSegmentAsync(JsonObject segment, CancellationToken ct = default)
    {
        UpsertSegment(segment);
        return BroadcastAsync(DataSyncMessage("patch", [], [segment], TimestampShape.Push), ct);
    }

    /// <summary>The whole current state as the <c>full</c> data-sync message the server would send for cursor 0.</summary>
    public string FullDataSyncJson() => DataSyncReply(0);

    /// <summary>The highest <c>updatedAt</c> (Unix ms) over every flag and segment the server holds; 0 when empty.</summary>
    public long LatestVersion
    {
        get
        {
            lock (_stateLock)
            {
                return CurrentMaxVersion();
            }
        }
    }

    /// <summary>Queues what the server does with the next connection; when the queue is empty, connections are <see cref="ConnectionScript.Normal"/>.</summary>
    public void EnqueueScript(ConnectionScript script) => _scripts.Enqueue(script);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Guid DeterministicGuid(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return new Guid(hash[..16]);
    }

    private static string KeyOf(JsonObject entity, string property)
    {
        var value = entity[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"The entity has no '{property}' string: {entity.ToJsonString()}", nameof(entity));
        }

        return value;
    }
}
