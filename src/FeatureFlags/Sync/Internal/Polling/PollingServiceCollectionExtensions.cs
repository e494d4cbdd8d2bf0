using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace FeatureFlags.Sync.Internal.Polling;

/// <summary>
/// Registers the named <see cref="PollingDataSource.HttpClientName"/> client: no resilience handler (the polling loop
/// owns retries and pacing), no automatic redirects (the secret must not follow one to another host), no HttpClient
/// loggers (their log state would carry the Authorization header), the client timeout off (each request is bounded by
/// <c>Polling:Timeout</c>). The source reads each response as a stream, bounded by <c>Streaming:MaxMessageSize</c>.
/// Idempotent.
/// </summary>
internal static class PollingServiceCollectionExtensions
{
    internal static IServiceCollection AddFeatureFlagPolling(this IServiceCollection services)
    {
        if (services.Any(static d => d.ServiceType == typeof(PollingMarker)))
        {
            return services;
        }

        services.AddSingleton<PollingMarker>();
        services
            .AddHttpClient(PollingDataSource.HttpClientName)
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate | DecompressionMethods.Brotli,
            })
            .ConfigureHttpClient(static client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    /// <summary>Marks the collection as configured, so a second call adds nothing.</summary>
    private sealed class PollingMarker;
}
