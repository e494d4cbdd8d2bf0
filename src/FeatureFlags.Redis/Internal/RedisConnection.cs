using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FeatureFlags.Redis.Internal;

/// <summary>
/// The one Redis connection of a client (shared by its store and its daemon source): connected lazily, in the
/// background, and kept by StackExchange.Redis, which reconnects by itself (<c>abortConnect=false</c>).
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly ConfigurationOptions _configuration;
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private int _disposed;

    public RedisConnection(IOptions<FeatureFlagsRedisOptions> options)
    {
        _configuration = ConfigurationOptions.Parse(options.Value.ConnectionString ?? string.Empty);
        _configuration.AbortOnConnectFail = false;
        _configuration.ClientName ??= "featureflags";
        Endpoints = string.Join(",", _configuration.EndPoints.Select(Format));
        Prefix = options.Value.KeyPrefix;
    }

    /// <summary>The servers' endpoints, safe to log (the connection string may carry a password and is never logged).</summary>
    public string Endpoints { get; }

    public string Prefix { get; }

    /// <summary>The connection; connecting on first use. Commands fail (and the multiplexer reconnects) while Redis is down.</summary>
    public Task<ConnectionMultiplexer> GetAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        lock (_lock)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectionMultiplexer.ConnectAsync(_configuration);
            }

            return _connecting;
        }
    }

    /// <summary>Removes the password (if any) from text that may quote the configuration, such as an exception message.</summary>
    public string Redact(string text)
        => string.IsNullOrEmpty(_configuration.Password) ? text : text.Replace(_configuration.Password, "*****", StringComparison.Ordinal);

    public string DataKey(string environmentId) => $"{Prefix}:{environmentId}";

    public RedisChannel ChangesChannel(string environmentId) => RedisChannel.Literal($"{Prefix}:{environmentId}:changes");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Task<ConnectionMultiplexer>? connecting;
        lock (_lock)
        {
            connecting = _connecting;
        }

        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            DisposeWhenConnected(connecting);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        lock (_lock)
        {
            if (_connecting is { IsCompletedSuccessfully: true })
            {
                _connecting.Result.Dispose();
            }
            else
            {
                DisposeWhenConnected(_connecting);
            }
        }
    }

    /// <summary>A connection still being made when the client is disposed is closed as soon as it is made.</summary>
    private static void DisposeWhenConnected(Task<ConnectionMultiplexer>? connecting)
        => connecting?.ContinueWith(
            static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    t.Result.Dispose();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private static string Format(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };
}
