using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.Tests.Support;

/// <summary>Start, stop, crash, restart and dispose.</summary>
internal sealed partial class FakeFeatBitServer
{
    private int _databaseRestartPending;
    private int _databaseRestartCloses;

    /// <summary>How many connections were closed with 1011 because of <see cref="SimulateDatabaseRestart"/>.</summary>
    public int DatabaseRestartCloses => Volatile.Read(ref _databaseRestartCloses);

    /// <summary>
    /// A graceful stop (NOT what the real server does: it never sends 1000 on shutdown, see <see cref="CrashAsync"/>):
    /// open connections get close 1000 (aborted if they do not complete the handshake within 2 s), then the port stops
    /// listening (connection refused). State is kept.
    /// </summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            await StopAppAsync(graceful: true);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// A crash or SIGTERM of the real server (protocol.md §1.12): every open connection loses its TCP connection with
    /// no WebSocket close frame, then the port stops listening (connection refused). State is kept;
    /// <see cref="RestartAsync(CancellationToken)"/> serves again on the same port.
    /// </summary>
    public async Task CrashAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            await StopAppAsync(graceful: false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops gracefully (if running; see <see cref="StopAsync"/>) and starts again on the same port, keeping flags,
    /// segments and records. In <see cref="AgentMode"/> the agent comes back with no data: every connection is closed
    /// with 4003 <see cref="SecretNotFoundDescription"/> until <see cref="LoadFull"/> or <see cref="BootstrapAsync"/>.
    /// </summary>
    public Task RestartAsync(CancellationToken ct = default) => RestartAsync(databaseRestarted: false, ct);

    /// <summary>
    /// Like <see cref="RestartAsync(CancellationToken)"/>; with <paramref name="databaseRestarted"/> the database restarted too,
    /// so the first connection afterwards is closed with 1011 (see <see cref="SimulateDatabaseRestart"/>).
    /// </summary>
    public async Task RestartAsync(bool databaseRestarted, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await StopAsync();
        if (AgentMode)
        {
            lock (_stateLock)
            {
                _flags.Clear();
                _segments.Clear();
                _agentHasData = false;
                _versionFloor = 0;
            }
        }

        if (databaseRestarted)
        {
            SimulateDatabaseRestart();
        }

        await StartAppAsync(Port, ct);
    }

    /// <summary>
    /// The server's database restarted (protocol.md §1.12): the next connection (one only) is accepted, then closed at
    /// once with 1011 <see cref="ServiceUnavailableDescription"/>; later connections are served normally.
    /// </summary>
    public void SimulateDatabaseRestart() => Volatile.Write(ref _databaseRestartPending, 1);

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
            app.Run(DispatchRequestAsync);

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

    private async Task StopAppAsync(bool graceful)
    {
        var app = _app;
        if (app is null)
        {
            return;
        }

        // Upgrades arriving meanwhile get 503 (a client reconnecting at once must not be served by a dying server).
        _accepting = false;
        if (graceful)
        {
            await CloseAndWaitAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        else
        {
            await AbortAndWaitAsync();
        }

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

    /// <summary>Drops every connection (no close frame) and waits (bounded) for their handlers to end.</summary>
    private async Task AbortAndWaitAsync()
    {
        var connections = _connections.Values.ToList();
        foreach (var connection in connections)
        {
            connection.Abort();
        }

        try
        {
            await Task.WhenAll(connections.Select(c => c.Finished)).WaitAsync(CloseHandshakeTimeout, TimeProvider.System);
        }
        catch (TimeoutException)
        {
            // An aborted socket ends its handler at once; if one still hangs, stopping Kestrel kills it.
        }
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
}
