using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
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

/// <summary>One request the event server received.</summary>
internal sealed record RecordedEventRequest(string Method, string Path, string? Authorization, string? UserAgent, string? ContentType, string Body)
{
    /// <summary>The body parsed as the array of events it must be.</summary>
    public JsonArray Events => JsonNode.Parse(Body)!.AsArray();
}

/// <summary>
/// A real, in-process FeatBit insight endpoint for tests: Kestrel on an OS-assigned loopback port that records every
/// request (method, path, headers, body) and answers with scripted status codes (200 once the script is empty).
/// </summary>
/// <remarks>A request is recorded before it is answered, so once a wait returns, the client may not have read the answer yet.</remarks>
internal sealed class FakeEventServer : IAsyncDisposable
{
    /// <summary>A scripted "status" that never answers (until the client gives up).</summary>
    public const HttpStatusCode HangStatus = 0;

    private const int Hang = 0;
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<HttpStatusCode> _script = new();
    private readonly List<RecordedEventRequest> _requests = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private readonly Lock _lock = new();

    private FakeEventServer(WebApplication app) => _app = app;

    /// <summary>The base URI to configure as <c>EventUri</c> (with the optional path prefix).</summary>
    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyList<RecordedEventRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Every event of every request, in order.</summary>
    public IReadOnlyList<JsonNode> AllEvents => [.. Requests.SelectMany(r => r.Events).Select(e => e!)];

    public static async Task<FakeEventServer> StartAsync(string pathPrefix = "")
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FakeEventServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        var app = builder.Build();
        var server = new FakeEventServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseUri = new Uri(address.TrimEnd('/') + pathPrefix);
        return server;
    }

    /// <summary>Answers the next requests with these status codes, in order; then 200.</summary>
    public void Script(params HttpStatusCode[] statuses)
    {
        foreach (var status in statuses)
        {
            _script.Enqueue(status);
        }
    }

    /// <summary>Waits (bounded, real time) until at least <paramref name="count"/> requests have arrived.</summary>
    public Task WaitForRequestsAsync(int count)
    {
        lock (_lock)
        {
            if (_requests.Count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(WaitTimeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var request = new RecordedEventRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.Authorization.ToString(),
            context.Request.Headers.UserAgent.ToString(),
            context.Request.ContentType,
            body);
        lock (_lock)
        {
            _requests.Add(request);
            foreach (var waiter in _waiters.Where(w => _requests.Count >= w.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }

        var status = _script.TryDequeue(out var scripted) ? (int)scripted : StatusCodes.Status200OK;
        if (status == Hang)
        {
            // Never answer: the client's timeout has to end the attempt.
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        context.Response.StatusCode = status;
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
