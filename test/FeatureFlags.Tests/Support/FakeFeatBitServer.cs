using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeatureFlags.Sync.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
/// patches, close codes), plus knobs to misbehave (scripts, garbage, fragmentation, drops, stop/restart).
/// </summary>
/// <remarks>
/// <para>The <see cref="TimeProvider"/> given to <see cref="StartAsync"/> is only the server's clock for token expiry;
/// every wait and timeout of this class uses the real clock (<see cref="TimeProvider.System"/>).</para>
/// <para>A message is recorded (<see cref="ReceivedMessages"/>, <see cref="DataSyncTimestamps"/>) after the server
/// has handled it, so once a wait returns, the reply (if any) has already been sent.</para>
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
internal sealed class FakeFeatBitServer : IAsyncDisposable
{
    /// <summary>A structurally valid 44-char server secret (the FeatBit evaluation server's own test secret).</summary>
    public const string DefaultSecret = "v3faJy3RCUO8d-EJiVdN6waRfGjfNan02Ms9c0LiTD6w";

    /// <summary>The description the real server sends with 4003.</summary>
    public const string InvalidRequestDescription = "invalid request, close by server";

    /// <summary>The description the real server sends with 1011.</summary>
    public const string ServiceUnavailableDescription = "service unavailable, close by server";

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
    private readonly List<long> _dataSyncTimestamps = [];
    private readonly List<string> _receivedMessages = [];
    private readonly List<string> _requestUris = [];
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

    /// <summary>The loopback port, fixed for the server's lifetime (kept across <see cref="RestartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary><c>ws://127.0.0.1:port/</c>: the SDK appends <c>streaming?type=server&amp;token=...</c>.</summary>
    public Uri StreamingUri => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>Whether Kestrel is listening (false between <see cref="StopAsync"/> and <see cref="RestartAsync"/>).</summary>
    public bool IsRunning => Volatile.Read(ref _app) is not null;

    /// <summary>Total WebSocket upgrades accepted (rejected, dropped and stalled ones included).</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Accepted WebSockets whose server side has not finished yet.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>The cursor (<c>data.timestamp</c>, 0 when missing or not an integer) of every data-sync request, in order.</summary>
    public IReadOnlyList<long> DataSyncTimestamps
    {
        get
        {
            lock (_recordLock)
            {
                return [.. _dataSyncTimestamps];
            }
        }
    }

    /// <summary>Every text message received from any client, in order (after the server handled it).</summary>
    public IReadOnlyList<string> ReceivedMessages
    {
        get
        {
            lock (_recordLock)
            {
                return [.. _receivedMessages];
            }
        }
    }

    /// <summary>The raw path and query of every WebSocket upgrade request to a streaming path, in order.</summary>
    public IReadOnlyList<string> RequestUris
    {
        get
        {
            lock (_recordLock)
            {
                return [.. _requestUris];
            }
        }
    }

    /// <summary>Starts a server on an OS-assigned loopback port.</summary>
    /// <param name="time">The server clock for token expiry (default: the system clock).</param>
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

    /// <summary>Unix milliseconds as the server writes <c>updatedAt</c>: <c>2023-01-28T02:04:55.616Z</c>.</summary>
    public static string IsoTimestamp(long unixMs)
        => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Replaces the whole state from a data-sync envelope or a bare payload (<c>{"featureFlags":[...],"segments":[...]}</c>).</summary>
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
        }
    }

    /// <summary>Upserts the flag, then pushes <c>{"eventType":"patch","featureFlags":[flag],"segments":[]}</c> to every open connection.</summary>
    public Task PushFlagAsync(JsonObject flag, CancellationToken ct = default)
    {
        UpsertFlag(flag);
        return BroadcastAsync(DataSyncMessage("patch", [flag], []), ct);
    }

    /// <summary>Upserts the segment, then pushes <c>{"eventType":"patch","featureFlags":[],"segments":[segment]}</c> to every open connection.</summary>
    public Task PushSegmentAsync(JsonObject segment, CancellationToken ct = default)
    {
        UpsertSegment(segment);
        return BroadcastAsync(DataSyncMessage("patch", [], [segment]), ct);
    }

    /// <summary>Sends <paramref name="text"/> as one text message to every open connection (no validation: garbage welcome).</summary>
    public Task SendRawAsync(string text, CancellationToken ct = default) => BroadcastAsync(text, ct);

    /// <summary>Sends one text message split over <paramref name="fragments"/> frames (<c>EndOfMessage</c> on the last only).</summary>
    public Task SendFragmentedAsync(string json, int fragments, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentOutOfRangeException.ThrowIfLessThan(fragments, 1);
        var bytes = Encoding.UTF8.GetBytes(json);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fragments, Math.Max(bytes.Length, 1));
        return ForEachServing(c => c.SendFragmentedAsync(bytes, fragments, ct));
    }

    /// <summary>
    /// Closes every open connection from the server side (a close frame with <paramref name="code"/>), then waits up
    /// to 2 s for the close handshakes; connections still open after that are aborted.
    /// </summary>
    public async Task CloseAllAsync(WebSocketCloseStatus code, string? description, CancellationToken ct = default)
    {
        await CloseAndWaitAsync(code, description, ct);
    }

    /// <summary>Drops every open connection without a close handshake (TCP abort).</summary>
    public void AbortAll()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }
    }

    /// <summary>
    /// Mid-session stall: every open connection stops sending anything (replies, pushes, pongs) while still reading,
    /// as a hung server process would; the client's liveness check has to notice. New connections are served normally.
    /// </summary>
    public void StallOpenConnections()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Stall();
        }
    }

    /// <summary>
    /// A stall the server recovers from: from now on pushes and pongs are held back (in order) instead of sent, until
    /// <see cref="ResumeSendsAsync"/> delivers the held pushes in their original order. State changes still apply at once.
    /// </summary>
    public void PauseSends()
    {
        lock (_holdLock)
        {
            _held ??= [];
        }
    }

    /// <summary>Ends <see cref="PauseSends"/>: sends the held pushes to every serving connection, in the order they were made.</summary>
    public async Task ResumeSendsAsync(CancellationToken ct = default)
    {
        List<string>? held;
        lock (_holdLock)
        {
            held = _held;
            _held = null;
        }

        foreach (var text in held ?? [])
        {
            await ForEachServing(c => c.SendAsync(text, ct));
        }
    }

    /// <summary>
    /// A message cut off in transit: sends the first <paramref name="prefixBytes"/> bytes of <paramref name="json"/> as a
    /// non-final frame to every serving connection, then drops the connection (TCP abort) before the rest is sent.
    /// </summary>
    public Task SendTruncatedThenAbortAsync(string json, int prefixBytes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetBytes(json);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefixBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(prefixBytes, bytes.Length);
        return ForEachServing(async c =>
        {
            try
            {
                await c.SendPartialAsync(bytes.AsMemory(0, prefixBytes), ct);
            }
            finally
            {
                c.Abort();
            }
        });
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
                return _flags.Values.Concat(_segments.Values).Select(UpdatedAtOf).DefaultIfEmpty(0).Max();
            }
        }
    }

    /// <summary>Queues what the server does with the next connection; when the queue is empty, connections are <see cref="ConnectionScript.Normal"/>.</summary>
    public void EnqueueScript(ConnectionScript script) => _scripts.Enqueue(script);

    /// <summary>
    /// Stops Kestrel like a real server shutting down: open connections get close 1000 (aborted if they do not
    /// complete the handshake within 2 s), then the port stops listening (connection refused). State is kept.
    /// Call <see cref="AbortAll"/> first to simulate a crash instead.
    /// </summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            await StopAppAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops (if running) and starts again on the same port, keeping flags, segments and records.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await StopAsync();
        await StartAppAsync(Port, ct);
    }

    /// <summary>Waits until <see cref="ConnectionCount"/> reaches <paramref name="count"/>.</summary>
    public Task WaitForConnectionsAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => ConnectionCount >= count,
            () => $"Expected at least {count} accepted connection(s) within {timeout} but saw {ConnectionCount} (open: {OpenConnections}).",
            timeout,
            ct);

    /// <summary>Waits until at least <paramref name="count"/> data-sync requests have been handled.</summary>
    public Task WaitForDataSyncAsync(int count, TimeSpan timeout, CancellationToken ct = default)
        => WaitUntilAsync(
            () => DataSyncTimestamps.Count >= count,
            () => $"Expected at least {count} data-sync request(s) within {timeout} but saw {DataSyncTimestamps.Count} " +
                  $"(cursors: [{string.Join(", ", DataSyncTimestamps)}]; connections: {ConnectionCount}, open: {OpenConnections}).",
            timeout,
            ct);

    /// <summary>Waits until a received message (already received ones included) matches; returns the first match.</summary>
    public async Task<string> WaitForMessageAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        string? match = null;
        await WaitUntilAsync(
            () => (match = ReceivedMessages.FirstOrDefault(predicate)) is not null,
            () =>
            {
                var messages = ReceivedMessages;
                return $"No received message matched within {timeout}; {messages.Count} received, last ones: " +
                       $"[{string.Join(", ", messages.TakeLast(5))}] (connections: {ConnectionCount}, open: {OpenConnections}).";
            },
            timeout,
            ct);
        return match!;
    }

    /// <summary>Closes every connection (1000), stops Kestrel and releases everything; idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync();
        _lifecycle.Dispose();
    }

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

    /// <summary><c>updatedAt</c> in Unix ms: an ISO-8601 string truncated to the millisecond, or a number; 0 when missing.</summary>
    private static long UpdatedAtOf(JsonObject entity)
    {
        if (entity["updatedAt"] is not JsonValue value)
        {
            return 0;
        }

        if (value.TryGetValue<string>(out var text))
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed.ToUnixTimeMilliseconds()
                : 0;
        }

        return value.TryGetValue<long>(out var ms) ? ms : 0;
    }

    private static string DataSyncMessage(string eventType, IEnumerable<JsonObject> flags, IEnumerable<JsonObject> segments)
        => new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject
            {
                ["eventType"] = eventType,
                ["featureFlags"] = new JsonArray([.. flags.Select(f => f.DeepClone())]),
                ["segments"] = new JsonArray([.. segments.Select(s => s.DeepClone())]),
            },
        }.ToJsonString();

    private string DataSyncReply(long cursor)
    {
        lock (_stateLock)
        {
            return cursor == 0
                ? DataSyncMessage("full", _flags.Values, _segments.Values)
                : DataSyncMessage("patch", _flags.Values.Where(f => UpdatedAtOf(f) > cursor), _segments.Values.Where(s => UpdatedAtOf(s) > cursor));
        }
    }

    private async Task StartAppAsync(int port, CancellationToken ct)
    {
        await _lifecycle.WaitAsync(ct);
        try
        {
            if (_app is not null)
            {
                return;
            }

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(FakeFeatBitServer).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port));
            builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

            var app = builder.Build();
            app.UseWebSockets();
            app.Run(HandleRequestAsync);

            var stopping = new CancellationTokenSource();
            _appStopping = stopping;
            _accepting = true;
            try
            {
                await app.StartAsync(ct);
            }
            catch
            {
                _accepting = false;
                _appStopping = null;
                stopping.Dispose();
                await app.DisposeAsync();
                throw;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            Port = new Uri(address).Port;
            Volatile.Write(ref _app, app);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StopAppAsync()
    {
        var app = _app;
        if (app is null)
        {
            return;
        }

        // Like the real server: the dispatch loops end on ApplicationStopping and each connection closes with 1000.
        // Upgrades arriving meanwhile get 503 (a client reconnecting at once must not be served by a dying server).
        _accepting = false;
        await CloseAndWaitAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        var stopping = _appStopping;
        _appStopping = null;
        if (stopping is not null)
        {
            await stopping.CancelAsync();
        }

        Volatile.Write(ref _app, null);
        using (var timeout = new CancellationTokenSource(ShutdownTimeout, TimeProvider.System))
        {
            await app.StopAsync(timeout.Token);
        }

        await app.DisposeAsync();
        stopping?.Dispose();
    }

    /// <summary>Sends close frames, waits for the handshakes (bounded), aborts the stragglers and waits for them to end.</summary>
    private async Task CloseAndWaitAsync(WebSocketCloseStatus code, string? description, CancellationToken ct)
    {
        var connections = _connections.Values.ToList();
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(CloseHandshakeTimeout);
            await Task.WhenAll(connections.Select(c => c.CloseAsync(code, description, timeout.Token)));
        }

        var all = Task.WhenAll(connections.Select(c => c.Finished));
        try
        {
            await all.WaitAsync(CloseHandshakeTimeout, TimeProvider.System, ct);
        }
        catch (TimeoutException)
        {
            foreach (var connection in connections)
            {
                connection.Abort();
            }

            try
            {
                await all.WaitAsync(CloseHandshakeTimeout, TimeProvider.System, ct);
            }
            catch (TimeoutException)
            {
                // An aborted socket ends its handler at once; if one still hangs, stopping Kestrel kills it.
            }
        }
    }

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
        Record(_requestUris, string.IsNullOrEmpty(rawTarget) ? $"{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}" : rawTarget);

        var script = _scripts.TryDequeue(out var next) ? next : ConnectionScript.Normal;
        var serverStopping = _appStopping?.Token ?? new CancellationToken(canceled: true);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var connection = new Connection(Interlocked.Increment(ref _nextConnectionId), context, socket, script, serverStopping);
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
        switch (connection.Script)
        {
            case ConnectionScript.DropAfterAccept:
                await DropOnFirstMessageAsync(connection);
                return;
            case ConnectionScript.CloseWith1011AfterAccept:
                await connection.CloseAsync(WebSocketCloseStatus.InternalServerError, ServiceUnavailableDescription, connection.Aborted);
                await DrainAsync(connection);
                return;
            case ConnectionScript.RejectWith4003:
                await connection.CloseAsync((WebSocketCloseStatus)4003, InvalidRequestDescription, connection.Aborted);
                await DrainAsync(connection);
                return;
            default:
                break;
        }

        if (!IsValid(query))
        {
            await connection.CloseAsync((WebSocketCloseStatus)4003, InvalidRequestDescription, connection.Aborted);
            await DrainAsync(connection);
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
                    var cursor = CursorOf(data);
                    try
                    {
                        if (RespondToDataSync && connection.IsServing)
                        {
                            // Composed under the connection's send lock: a push racing this reply is either in the
                            // reply or sent after it, never sent before a full reply that would then undo it.
                            await connection.SendAsync(() => DataSyncReply(cursor), connection.Aborted);
                        }
                    }
                    finally
                    {
                        Record(_dataSyncTimestamps, cursor);
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
                Record(_receivedMessages, text);
            }
        }
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
                    Record(_dataSyncTimestamps, CursorOf(data));
                }

                Record(_receivedMessages, text);
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

    /// <summary><c>data.timestamp</c> when it is an integer; otherwise 0 (the real server's reading).</summary>
    private static long CursorOf(JsonNode? data)
        => data is JsonObject d && d["timestamp"] is JsonValue v && v.TryGetValue<long>(out var t) ? t : 0;

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

    private bool IsPaused
    {
        get
        {
            lock (_holdLock)
            {
                return _held is not null;
            }
        }
    }

    private async Task BroadcastAsync(string text, CancellationToken ct)
    {
        lock (_holdLock)
        {
            if (_held is not null)
            {
                _held.Add(text);
                return;
            }
        }

        await ForEachServing(c => c.SendAsync(text, ct));
    }

    private async Task ForEachServing(Func<Connection, Task> send)
    {
        var serving = _connections.Values.Where(c => c.IsServing).ToList();
        await Task.WhenAll(serving.Select(async c =>
        {
            try
            {
                await send(c);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException
                                           or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
            {
                // The connection is going away; the sender of a push does not care.
            }
        }));
    }

    private void Record<T>(List<T> list, T item)
    {
        lock (_recordLock)
        {
            list.Add(item);
        }

        Signal();
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private async Task WaitUntilAsync(Func<bool> condition, Func<string> describe, TimeSpan timeout, CancellationToken ct)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            // Read the signal before the condition: an event between the two completes the signal we hold.
            var changed = Volatile.Read(ref _changed).Task;
            if (condition())
            {
                return;
            }

            var remaining = timeout - TimeProvider.System.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException(describe());
            }

            try
            {
                await changed.WaitAsync(remaining, TimeProvider.System, ct);
            }
            catch (TimeoutException)
            {
                if (condition())
                {
                    return;
                }

                throw new TimeoutException(describe());
            }
        }
    }

    /// <summary>One accepted WebSocket: serialised sends, a bounded close handshake, abort.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly HttpContext _context;
        private readonly WebSocket _socket;
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        private readonly CancellationTokenSource _abort;
        private readonly TaskCompletionSource _finished = NewSignal();
        private byte[] _buffer = new byte[4096];

        public Connection(long id, HttpContext context, WebSocket socket, ConnectionScript script, CancellationToken serverStopping)
        {
            Id = id;
            _context = context;
            _socket = socket;
            Script = script;
            _abort = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, context.RequestAborted);
        }

        public long Id { get; }

        public ConnectionScript Script { get; }

        private volatile bool _isServing;
        private volatile bool _stalled;

        /// <summary>Validated and not stalled: replies and pushes go to it.</summary>
        public bool IsServing
        {
            get => _isServing && !_stalled;
            set => _isServing = value;
        }

        /// <summary>From now on the connection sends nothing (see <see cref="StallOpenConnections"/>), whatever its script.</summary>
        public void Stall() => _stalled = true;

        public CancellationToken Aborted => _abort.Token;

        public Task Finished => _finished.Task;

        /// <summary>The next whole text message, or null when the peer closed (the close handshake is then completed).</summary>
        public async Task<string?> ReceiveTextAsync()
        {
            var length = 0;
            while (true)
            {
                if (length == _buffer.Length)
                {
                    if (_buffer.Length >= MaxIncomingMessageBytes)
                    {
                        Abort();
                        return null;
                    }

                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }

                var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), _abort.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, null, _abort.Token);
                    return null;
                }

                length += result.Count;
                if (result.EndOfMessage)
                {
                    if (result.MessageType == WebSocketMessageType.Text)
                    {
                        return Encoding.UTF8.GetString(_buffer, 0, length);
                    }

                    length = 0; // binary messages are not part of the protocol: ignored
                }
            }
        }

        public Task SendAsync(string text, CancellationToken ct) => SendAsync(() => text, ct);

        /// <summary>Composes the message once the send lock is held, then sends it.</summary>
        public async Task SendAsync(Func<string> compose, CancellationToken ct)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                if (_socket.State == WebSocketState.Open)
                {
                    await _socket.SendAsync(Encoding.UTF8.GetBytes(compose()), WebSocketMessageType.Text, endOfMessage: true, ct);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }

        /// <summary>Sends a non-final text frame (the start of a message whose end never comes).</summary>
        public async Task SendPartialAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                if (_socket.State == WebSocketState.Open)
                {
                    await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: false, ct);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async Task SendFragmentedAsync(byte[] bytes, int fragments, CancellationToken ct)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                for (var i = 0; i < fragments && _socket.State == WebSocketState.Open; i++)
                {
                    var start = bytes.Length * i / fragments;
                    var end = bytes.Length * (i + 1) / fragments;
                    await _socket.SendAsync(bytes.AsMemory(start, end - start), WebSocketMessageType.Text, endOfMessage: i == fragments - 1, ct);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }

        /// <summary>Sends a close frame if none was sent yet (the receive loop completes the handshake); aborts after 2 s.</summary>
        public async Task CloseAsync(WebSocketCloseStatus code, string? description, CancellationToken ct)
        {
            var entered = false;
            try
            {
                await _sendLock.WaitAsync(ct);
                entered = true;
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(code, description, ct);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException
                                           or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
            {
                Abort();
            }
            finally
            {
                if (entered)
                {
                    _sendLock.Release();
                }

                TryCancelAfter(CloseHandshakeTimeout);
            }
        }

        public void Abort()
        {
            if (_finished.Task.IsCompleted)
            {
                return;
            }

            _context.Abort();
            _socket.Abort();
            TryCancelAfter(TimeSpan.Zero);
        }

        public void MarkFinished() => _finished.TrySetResult();

        /// <summary>Only the token source: the send lock may still be awaited by a push racing the end of the connection.</summary>
        public void Dispose() => _abort.Dispose();

        private void TryCancelAfter(TimeSpan delay)
        {
            try
            {
                _abort.CancelAfter(delay);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>No console lifetime: no Ctrl+C/SIGTERM hooks and no status messages from a test server.</summary>
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Sends raw bytes (invalid UTF-8 welcome: nothing is encoded or checked) as one text message split over
    /// <paramref name="fragments"/> frames to every serving connection. The caller owns the buffer, so a test can
    /// measure what the client allocates without counting the message itself.
    /// </summary>
    public Task SendRawBytesAsync(byte[] utf8, int fragments = 1, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentOutOfRangeException.ThrowIfLessThan(fragments, 1);
        return ForEachServing(c => c.SendFragmentedAsync(utf8, fragments, ct));
    }
}
