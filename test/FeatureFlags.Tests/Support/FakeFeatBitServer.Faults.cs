using System.Net.WebSockets;
using System.Text;

namespace FeatureFlags.Tests.Support;

/// <summary>Raw sends and network faults: garbage, fragments, truncation, drops, stalls, held pushes.</summary>
internal sealed partial class FakeFeatBitServer
{
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

    /// <summary>
    /// Closes every open connection from the server side (a close frame with <paramref name="code"/>), then waits up
    /// to 2 s for the close handshakes; connections still open after that are aborted.
    /// </summary>
    public async Task CloseAllAsync(WebSocketCloseStatus code, string? description, CancellationToken ct = default)
    {
        await CloseAndWaitAsync(code, description, ct);
    }

    /// <summary>Drops every open connection without a close handshake (TCP abort); the server keeps listening. Same as <see cref="DropAll"/>.</summary>
    public void AbortAll()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Abort();
        }
    }

    /// <summary>
    /// What clients see when the real server process is killed or gets SIGTERM (protocol.md §1.12): every open
    /// connection loses its TCP connection with NO WebSocket close frame. The server keeps listening (a process
    /// restarted at once); use <see cref="CrashAsync"/> to stop listening too.
    /// </summary>
    public void DropAll() => AbortAll();

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
                if (_held.Count >= MaxRecords)
                {
                    throw new InvalidOperationException($"More than {MaxRecords} pushes are held by PauseSends.");
                }

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
}
