using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace FeatureFlags.AotSmoke;

/// <summary>
/// A minimal FeatBit evaluation server (protocol.md §1 and §2) on Kestrel over loopback, itself published with
/// NativeAOT: <c>/streaming</c> answers every <c>data-sync</c> with a full data set and every <c>ping</c> with a
/// <c>pong</c>, <see cref="PushAsync"/> sends an unsolicited patch, and <c>api/public/insight/track</c> records the
/// insight events it receives. No token validation: the SDK's own tests do that against the test server.
/// </summary>
internal sealed class MiniFeatBitServer : IAsyncDisposable
{
    private const string PongMessage = """{"messageType":"pong","data":{}}""";

    private readonly WebApplication _app;
    private readonly string _fullDataSync;
    private readonly ConcurrentDictionary<WebSocket, SemaphoreSlim> _sockets = new();
    private readonly ConcurrentQueue<string> _events = new();
    private readonly SemaphoreSlim _eventArrived = new(0);

    private MiniFeatBitServer(WebApplication app, string fullDataSync)
    {
        _app = app;
        _fullDataSync = fullDataSync;
    }

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyCollection<string> Events => _events;

    /// <summary>Waits until an insight-event batch containing <paramref name="text"/> has arrived; false on timeout.</summary>
    public async Task<bool> WaitForEventAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!_events.Any(e => e.Contains(text, StringComparison.Ordinal)))
        {
            try
            {
                await _eventArrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    public static async Task<MiniFeatBitServer> StartAsync(string fullDataSync)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new MiniFeatBitServer(app, fullDataSync);
        app.UseWebSockets();
        app.Map("/streaming", server.StreamAsync);
        app.MapPost("/api/public/insight/track", server.TrackAsync);
        await app.StartAsync();
        var address = app.Urls.Single();
        server.BaseUri = new Uri(address + "/");
        return server;
    }

    /// <summary>Sends a message to every connected client (the server's unsolicited patch push).</summary>
    public async Task PushAsync(string message)
    {
        foreach (var (socket, sendLock) in _sockets)
        {
            await SendAsync(socket, sendLock, message, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _eventArrived.Dispose();
    }

    private static async Task SendAsync(WebSocket socket, SemaphoreSlim sendLock, string message, CancellationToken ct)
    {
        await sendLock.WaitAsync(ct);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task TrackAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        _events.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
        _eventArrived.Release();
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task StreamAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var sendLock = new SemaphoreSlim(1, 1);
        _sockets[socket] = sendLock;
        var ct = context.RequestAborted;
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var reply = Reply(message.ToArray());
                message.SetLength(0);
                if (reply is not null)
                {
                    await SendAsync(socket, sendLock, reply, ct);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client went away or the server is stopping.
        }
        finally
        {
            _sockets.TryRemove(socket, out _);
        }
    }

    private string? Reply(byte[] utf8)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8);
            return document.RootElement.TryGetProperty("messageType", out var type) ? type.GetString() switch
            {
                "data-sync" => _fullDataSync,
                "ping" => PongMessage,
                _ => null,
            } : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
