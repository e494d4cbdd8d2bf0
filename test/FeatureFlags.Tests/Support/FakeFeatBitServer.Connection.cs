using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace FeatureFlags.Tests.Support;

/// <summary>One accepted WebSocket and the host lifetime.</summary>
internal sealed partial class FakeFeatBitServer
{
    /// <summary>One accepted WebSocket: serialised sends, a bounded close handshake, abort.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly FakeFeatBitServer _server;
        private readonly HttpContext _context;
        private readonly WebSocket _socket;
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        private readonly CancellationTokenSource _abort;
        private readonly TaskCompletionSource _finished = NewSignal();
        private byte[] _buffer = new byte[4096];
        private volatile bool _isServing;
        private volatile bool _stalled;

        public Connection(FakeFeatBitServer server, long id, HttpContext context, WebSocket socket, ConnectionScript script, CancellationToken serverStopping)
        {
            _server = server;
            Id = id;
            _context = context;
            _socket = socket;
            Script = script;
            _abort = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, context.RequestAborted);
        }

        public long Id { get; }

        public ConnectionScript Script { get; }

        /// <summary>Validated and not stalled: replies and pushes go to it.</summary>
        public bool IsServing
        {
            get => _isServing && !_stalled;
            set => _isServing = value;
        }

        public CancellationToken Aborted => _abort.Token;

        public Task Finished => _finished.Task;

        /// <summary>From now on the connection sends nothing (see <see cref="StallOpenConnections"/>), whatever its script.</summary>
        public void Stall() => _stalled = true;

        /// <summary>The next whole text message, or null when the peer closed (the server then handles the close handshake).</summary>
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
                    await _server.OnClientCloseAsync(this, _socket.CloseStatus, _socket.CloseStatusDescription);
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

        /// <summary>
        /// Sends a close frame if none was sent yet (the receive loop completes the handshake); aborts after 2 s.
        /// Returns whether a close frame was sent.
        /// </summary>
        public async Task<bool> CloseAsync(WebSocketCloseStatus code, string? description, CancellationToken ct)
        {
            var entered = false;
            try
            {
                await _sendLock.WaitAsync(ct);
                entered = true;
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(code, description, ct);
                    return true;
                }

                return false;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException
                                           or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
            {
                Abort();
                return false;
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

        /// <summary>Drops the TCP connection: no close frame.</summary>
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
}
