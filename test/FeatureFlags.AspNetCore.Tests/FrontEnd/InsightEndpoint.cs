using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.FrontEnd;

/// <summary>
/// A real HTTP insight endpoint on loopback (Kestrel, port 0): FeatBit's <c>POST /api/public/insight/track</c>, which
/// keeps every batch the SDK posts, for the tests to read the events as they went over the wire.
/// </summary>
internal sealed class InsightEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _bodies = new();

    private InsightEndpoint(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<InsightEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var endpoint = new InsightEndpoint(app);
        app.MapPost("/api/public/insight/track", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            endpoint._bodies.Enqueue(await reader.ReadToEndAsync(context.RequestAborted));
            return Results.Ok();
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        endpoint.BaseUri = new Uri(address);
        return endpoint;
    }

    /// <summary>Every metric posted so far with its user's key: <c>(keyId, metric)</c>.</summary>
    public List<(string User, JsonElement Metric)> Metrics()
    {
        var metrics = new List<(string, JsonElement)>();
        foreach (var body in _bodies)
        {
            using var doc = JsonDocument.Parse(body);
            foreach (var insight in doc.RootElement.EnumerateArray())
            {
                if (insight.TryGetProperty("metrics", out var list))
                {
                    var user = insight.GetProperty("user").GetProperty("keyId").GetString()!;
                    metrics.AddRange(list.EnumerateArray().Select(m => (user, m.Clone())));
                }
            }
        }

        return metrics;
    }

    /// <summary>The page views posted so far (metrics of type <c>PageView</c>).</summary>
    public List<(string User, JsonElement Metric)> PageViews()
        => [.. Metrics().Where(static m => m.Metric.GetProperty("type").GetString() == "PageView")];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
