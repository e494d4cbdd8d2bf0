using FeatureFlags.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// Knows whether the client's hosted services were started (it is the first of them), and warns once (EventId 1007)
/// when a client that nothing will start serves its first "not ready" default: a service provider built by hand
/// (<c>services.AddFeatureFlags(...); BuildServiceProvider()</c>) has no host to run the data system, so the client would
/// otherwise stay silently without flags.
/// </summary>
internal sealed partial class HostStartWatch : IHostedService
{
    private readonly ILogger _logger;
    private readonly bool _hostWillStart;
    private volatile bool _started;
    private int _warned;

    public HostStartWatch(IServiceProvider services, ILogger<HostStartWatch> logger)
    {
        _logger = logger;
        _hostWillStart = services.GetService<ClientIdentity>() is { } identity
            ? identity.HostWillStart
            : services.GetService<IServiceProviderIsService>()?.IsService(typeof(IHostApplicationLifetime)) == true;
    }

    /// <summary>Gets whether the client's hosted services were started.</summary>
    public bool Started => _started;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called when an evaluation finds no flag data: warns once if nothing ever starts the client.</summary>
    public void ReportNotReady()
    {
        if (!_started && !_hostWillStart && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            LogNeverStarted();
        }
    }

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning,
        Message = "The feature-flag client was resolved and used, but it was never started: no IHost runs its hosted services, so it never "
            + "connects and serves the callers' defaults. Use FeatureFlagsClient.StartAsync for a client without a host, or start the host "
            + "(or every IHostedService of the container). Logged once.")]
    private partial void LogNeverStarted();
}
