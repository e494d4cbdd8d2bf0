using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace FeatureFlags.Events.Internal;

/// <summary>
/// Registers insight events: the named <see cref="EventSender.HttpClientName"/> client with its resilience handler
/// (per-attempt timeout, up to two retries on 5xx/408/429/network errors and timeouts), the sender, and the
/// <see cref="EventProcessor"/> as a singleton and a hosted service. Idempotent.
/// </summary>
internal static class EventsServiceCollectionExtensions
{
    /// <summary>Retries after a failed attempt (so at most three attempts per batch).</summary>
    internal const int MaxRetryAttempts = 2;

    /// <summary>The first delay between attempts (exponential with jitter afterwards); the official SDK waits 200 ms.</summary>
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    internal static IServiceCollection AddFeatureFlagEvents(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(EventsMarker)))
        {
            return services;
        }

        services.AddSingleton<EventsMarker>();
        services.AddOptions();
        services.AddLogging();
        services
            .AddHttpClient(EventSender.HttpClientName)
            // The factory's default logging redacts header values in its messages but not in the log state: a
            // structured sink would store the Authorization header (the environment secret). The SDK logs its own
            // send outcomes (3004-3009), so this client has no HttpClient loggers.
            .RemoveAllLoggers()
            .AddResilienceHandler(EventSender.HttpClientName, static (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
                pipeline.TimeProvider = context.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;

                // Polly's telemetry would log every attempt of this pipeline under the "Polly" category (a warning
                // with a stack trace per failed attempt, an information line per successful POST) beside the SDK's
                // own rate-limited 3005. This pipeline keeps the app's telemetry options (metrics, enrichers) but
                // logs nowhere; the app's own pipelines are unaffected.
                var telemetry = context.ServiceProvider.GetService<IOptions<TelemetryOptions>>()?.Value;
                pipeline.ConfigureTelemetry(new TelemetryOptions(telemetry ?? new TelemetryOptions()) { LoggerFactory = NullLoggerFactory.Instance });
                pipeline
                    .AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = MaxRetryAttempts,
                        Delay = RetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        // A 429's Retry-After (a minute on FeatBit) would hold the send loop: the bound stays small.
                        ShouldRetryAfterHeader = false,
                    })
                    .AddTimeout(options.Events.SendTimeout);
            });
        services.TryAddSingleton<EventSender>();
        services.TryAddSingleton(static sp => new EventProcessor(
            sp.GetRequiredService<EventSender>(),
            sp.GetRequiredService<IOptions<FeatureFlagsOptions>>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<EventProcessor>>(),
            sp.GetService<IInsightEventSink>()));
        services.AddHostedService(static sp => sp.GetRequiredService<EventProcessor>());
        return services;
    }

    /// <summary>Marks the collection as configured, so a second call adds nothing.</summary>
    private sealed class EventsMarker;
}
