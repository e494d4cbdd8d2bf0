using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// The allow-list of the <c>&lt;feature-flags-bootstrap /&gt;</c> tag helper, one per app. <c>UseFeatureFlags()</c>
/// loads and validates it at host start and puts it in the <see cref="IOptionsMonitorCache{TOptions}"/>, where the tag
/// helper reads it back through <see cref="IOptionsMonitor{TOptions}"/> (no per-request cost, no global state). Without
/// <c>UseFeatureFlags()</c> the monitor creates an empty one: the tag fails closed.
/// </summary>
internal sealed partial class ClientSideFlags
{
    private int _warned;

    /// <summary>An empty allow-list (the monitor's default, when <c>UseFeatureFlags()</c> did not load one).</summary>
    public ClientSideFlags()
        : this([], loaded: false)
    {
    }

    private ClientSideFlags(string[] keys, bool loaded)
    {
        Keys = keys;
        Loaded = loaded;
    }

    /// <summary>The allowed flag keys, distinct, in list order.</summary>
    public string[] Keys { get; }

    /// <summary>Whether <c>UseFeatureFlags()</c> loaded the list (else the middleware is missing).</summary>
    public bool Loaded { get; }

    /// <summary>Loads and validates the options (throws naming the key) and makes them the app's allow-list.</summary>
    public static void Register(IServiceProvider services)
    {
        var options = FrontEndOptionsLoader.LoadClientSide(services);
        var flags = new ClientSideFlags([.. options.Flags.Distinct(StringComparer.Ordinal)], loaded: true);
        if (services.GetService<IOptionsMonitorCache<ClientSideFlags>>() is { } cache)
        {
            cache.TryRemove(Options.DefaultName);
            cache.TryAdd(Options.DefaultName, flags);
        }
    }

    /// <summary>Logs once per app why the tag wrote no flags.</summary>
    public void WarnEmptyOnce(ILogger logger)
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0)
        {
            if (Loaded)
            {
                LogNoAllowList(logger);
            }
            else
            {
                LogNotLoaded(logger);
            }
        }
    }

    [LoggerMessage(EventId = 4030, Level = LogLevel.Warning,
        Message = "The <feature-flags-bootstrap> tag wrote an empty flag list: FeatureFlags:ClientSide:Flags lists no flag, and FeatBit's flag data "
            + "does not say which flags may reach a browser. List the flags the page may expose. Logged once.")]
    private static partial void LogNoAllowList(ILogger logger);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Warning,
        Message = "The <feature-flags-bootstrap> tag wrote an empty flag list: app.UseFeatureFlags() is not in the pipeline, so neither the "
            + "request's user nor FeatureFlags:ClientSide:Flags is known. Call app.UseFeatureFlags(). Logged once.")]
    private static partial void LogNotLoaded(ILogger logger);
}
