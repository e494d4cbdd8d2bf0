using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Xunit;

namespace FeatureFlags.Redis.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> (the Debian package) for one test: started on a free loopback port without persistence
/// (<c>--save "" --appendonly no</c>), killed and restarted on the same port on demand, stopped on dispose. Outside CI a
/// missing binary skips the test, naming the install line; under <c>CI=true</c> it fails.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    public const string InstallLine = "apt-get install -y redis-server";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly string _binary;
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private RedisServer(string binary, int port)
    {
        _binary = binary;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A connection string for the SDK (short timeouts: the tests kill and pause the server).</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000,connectRetry=1");

    public static async Task<RedisServer> StartAsync()
    {
        var binary = FindBinary();
        for (var attempt = 0; ; attempt++)
        {
            var server = new RedisServer(binary, FreePort());
            try
            {
                await server.StartProcessAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                await server.DisposeAsync(); // the port was taken meanwhile: try another
            }
        }
    }

    /// <summary>An admin connection for the test's own commands (FLUSHALL, CLIENT PAUSE, reads).</summary>
    public async Task<IDatabase> DatabaseAsync() => (await AdminAsync()).GetDatabase();

    public async Task<IServer> AdminServerAsync() => (await AdminAsync()).GetServer("127.0.0.1", Port);

    /// <summary>Kills the process (no shutdown, no save): Redis is gone mid-run.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>Starts a new, empty server on the same port.</summary>
    public Task RestartAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        if (_admin is { } admin)
        {
            _admin = null;
            await admin.DisposeAsync();
        }

        await KillAsync();
    }

    private async Task<ConnectionMultiplexer> AdminAsync()
        => _admin ??= await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},allowAdmin=true,abortConnect=false");

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Bounded wait for the server to answer PING (a real process starting: there is no event to wait on).
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                _process = null;
                throw new InvalidOperationException($"redis-server exited with {process.ExitCode} (port {Port} taken?)");
            }

            if (await PingsAsync())
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }

        throw new InvalidOperationException($"redis-server did not answer on port {Port} within {StartTimeout}");
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return read >= 5 && buffer.AsSpan(0, 5).SequenceEqual("+PONG"u8);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        var message = $"redis-server is not installed; the Redis tests need it: {InstallLine} (Debian/Ubuntu; elsewhere install Redis 6.2 or newer and put redis-server on PATH).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
        return null!;
    }
}
