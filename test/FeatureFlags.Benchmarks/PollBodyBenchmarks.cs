using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Sync.Internal.Polling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// One full poll of a 3,000-flag environment (a 4.3 MB body, FeatBit's "3,000 flags = 5 MB" case): the response read,
/// parsed, compiled and committed. <see cref="Streamed"/> is the SDK's own request (<c>PollOnceAsync</c>: the body read
/// into pooled 16 KiB segments, kept by the polling run for the next response, and parsed from them); <see cref="ReadWhole"/>, the baseline, reads the same response
/// as the SDK did before (<c>ReadAsByteArrayAsync</c>, one array of the body's size on the large-object heap, then the
/// same parse and commit). The response comes from an in-memory handler that hands the body out 16 KiB per read with a
/// <c>Content-Length</c>, as a socket does, so neither the server nor the network is measured.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class PollBodyBenchmarks : IDisposable
{
    private const int FlagCount = 3_000;
    private byte[] _body = null!;
    private PollingDataSource _source = null!;
    private FlagDataSystem _dataSystem = null!;
    private ServiceProvider _services = null!;
    private HttpClient _client = null!;
    private PooledMessageBuffer _buffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _body = SyncData.FullMessage(FlagCount);
        _buffer = new PooledMessageBuffer();
        var options = Options.Create(new FeatureFlagsOptions { EnvSecret = "benchmark-secret-benchmark-secret-0000", DataSync = DataSyncMode.Polling });
        var collection = new ServiceCollection();
        collection.AddSingleton(options);
        collection.AddLogging();
        collection.AddFeatureFlagPolling();
        collection.AddHttpClient(PollingDataSource.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new InMemoryHandler(_body));
        _services = collection.BuildServiceProvider();
        var factory = _services.GetRequiredService<IHttpClientFactory>();
        _client = factory.CreateClient(PollingDataSource.HttpClientName);
        _source = new PollingDataSource(factory, options, TimeProvider.System, NullLogger<PollingDataSource>.Instance);
        var store = new FlagStore(options, NullLogger<FlagStore>.Instance);
        var status = new StatusProvider(TimeProvider.System, NullLogger<StatusProvider>.Instance);
        _dataSystem = new FlagDataSystem(options, store, status, TimeProvider.System, NullLogger<FlagDataSystem>.Instance, _source);
        if (Streamed() != (int)PollingDataSource.PollOutcome.Committed || ReadWhole() != (int)PollingDataSource.PollOutcome.Committed
            || store.FlagKeys.Count != FlagCount)
        {
            throw new InvalidOperationException("The poll did not commit the environment.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _dataSystem.Dispose();
        _buffer.Dispose();
        _client.Dispose();
        _services.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The SDK's request: the body streamed into pooled segments and parsed from them.</summary>
    [Benchmark]
    public int Streamed() => (int)_source.PollOnceAsync(_dataSystem, _buffer, CancellationToken.None).GetAwaiter().GetResult().Outcome;

    /// <summary>The read before this change: the whole body in one array, then the same parse and commit.</summary>
    [Benchmark(Baseline = true)]
    public int ReadWhole()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _source.Endpoint);
        using var response = _client.Send(request, HttpCompletionOption.ResponseContentRead);
        var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        return (int)_source.Process(new ReadOnlySequence<byte>(body), 0, _dataSystem, CancellationToken.None).Outcome;
    }

    /// <summary>Answers every request with the body, read out at most 16 KiB at a time, with its length.</summary>
    private sealed class InMemoryHandler(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => Task.FromResult(Send(request, cancellationToken));

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new StreamContent(new SocketLikeStream(body));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            content.Headers.ContentLength = body.Length;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
        }
    }

    /// <summary>A read-only, non-seekable stream over the body that returns at most 16 KiB per read.</summary>
    private sealed class SocketLikeStream(byte[] body) : Stream
    {
        private const int MaxRead = 16 * 1024;
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(Math.Min(buffer.Length, MaxRead), body.Length - _position);
            body.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
