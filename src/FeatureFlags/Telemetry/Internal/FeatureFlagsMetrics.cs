using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using FeatureFlags.Events.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using static FeatureFlags.Telemetry.Internal.SemanticConventions;

namespace FeatureFlags.Telemetry.Internal;

/// <summary>
/// The SDK's instruments on one <see cref="Meter"/> named <see cref="FeatureFlagsTelemetry.MeterName"/>, made by the
/// container's <see cref="IMeterFactory"/> (so each container has its own meter) or, without one, owned here. Every
/// instrument is documented in docs/observability.md; recording is skipped while an instrument has no listener.
/// </summary>
internal sealed class FeatureFlagsMetrics : IDisposable
{
    /// <summary>The SDK's informational version (also the activity source's version).</summary>
    public static readonly string? SdkVersion = typeof(FeatureFlagsMetrics).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    // Seconds: from 100 µs (an apply of a small patch) to 10 s (a very large full data set on a slow machine).
    private static readonly InstrumentAdvice<double> SecondsAdvice = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private readonly bool _ownsMeter;

    // The named client's tag, added to every measurement recorded here; null for the default client (its series are unchanged).
    private readonly KeyValuePair<string, object?>? _clientTag;

    public FeatureFlagsMetrics(IMeterFactory? meterFactory = null, EventProcessor? events = null, string? clientName = null)
    {
        var options = new MeterOptions(FeatureFlagsTelemetry.MeterName) { Version = SdkVersion };
        if (clientName is not null)
        {
            // A named client: its own meter (tagged, so the factory does not hand back the default client's), and the tag
            // on every measurement, so exporters that drop meter tags still tell the clients apart.
            ClientName = clientName;
            _clientTag = new KeyValuePair<string, object?>(Client, clientName);
            options.Tags = [_clientTag.Value];
        }

        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(options) ?? new Meter(options);

        Evaluations = Meter.CreateCounter<long>("featureflags.evaluations", "{evaluation}",
            "Flag evaluations made by the application, by flag, variant and reason.");
        Connects = Meter.CreateCounter<long>("featureflags.sync.connects", "{connection}",
            "Streaming connections opened to the flag server.");
        Reconnects = Meter.CreateCounter<long>("featureflags.sync.reconnects", "{attempt}",
            "Connection attempts made after a previous streaming session ended.");
        Failures = Meter.CreateCounter<long>("featureflags.sync.failures", "{failure}",
            "Streaming sessions that failed or were ended by the server, by error type.");
        ApplyDuration = Meter.CreateHistogram<double>("featureflags.sync.apply.duration", "s",
            "Time to apply a data-sync message to the flag store (compile and publish).", advice: SecondsAdvice);
        PushToVisible = Meter.CreateHistogram<double>("featureflags.sync.push_to_visible.duration", "s",
            "Time from the first frame of a data-sync message (or a poll's response) to its flags being visible to evaluations.", advice: SecondsAdvice);
        Polls = Meter.CreateCounter<long>("featureflags.sync.polls", "{request}",
            "HTTP polling requests made to the flag server, by outcome.");
        Failovers = Meter.CreateCounter<long>("featureflags.sync.failovers", "{switch}",
            "Switches of the live transport in DataSync = Auto, by the transport switched to and why.");

        if (events is not null)
        {
            Meter.CreateObservableCounter("featureflags.events.sent", () => Observe(events.Sent), "{event}",
                "Insight events the event server acknowledged.");
            Meter.CreateObservableCounter("featureflags.events.dropped", () => Observe(events.Dropped), "{event}",
                "Insight events dropped because the buffer was full or delivery had stopped.");
            Meter.CreateObservableCounter("featureflags.events.failed", () => Observe(events.Failed), "{event}",
                "Insight events in batches that could not be delivered after the retries.");
            Meter.CreateObservableCounter("featureflags.events.invalid", () => Observe(events.Invalid), "{event}",
                "Track and Identify calls refused for bad input.");
        }
    }

    public Meter Meter { get; }

    /// <summary>The named client's name; null for the default client.</summary>
    public string? ClientName { get; }

    public Counter<long> Evaluations { get; }

    public Counter<long> Connects { get; }

    public Counter<long> Reconnects { get; }

    public Counter<long> Failures { get; }

    public Histogram<double> ApplyDuration { get; }

    public Histogram<double> PushToVisible { get; }

    public Counter<long> Polls { get; }

    public Counter<long> Failovers { get; }

    /// <summary>Publishes which transport is live (1, tagged with its name; nothing before a source started).</summary>
    public void ObserveTransport(Func<string?> liveTransport)
        => Meter.CreateObservableGauge("featureflags.sync.transport", () =>
            liveTransport() is { } name
                ? [_clientTag is { } client ? new Measurement<int>(1, new KeyValuePair<string, object?>(Transport, name), client) : new Measurement<int>(1, new KeyValuePair<string, object?>(Transport, name))]
                : Array.Empty<Measurement<int>>(),
            "{transport}", "The transport that feeds the flags now (value 1, tagged featureflags.sync.transport).");

    /// <summary>Publishes the number of live flags in <paramref name="store"/>'s current snapshot.</summary>
    public void ObserveStore(FlagStore store)
        => Meter.CreateObservableGauge("featureflags.store.flags", () => Observe(store.Current.LiveFlags.Length), "{flag}",
            "Live (not archived) flags in the store's current snapshot.");

    public void RecordEvaluation(string flagKey, string? variant, string reason, string? errorType)
    {
        var tags = new TagList
        {
            { FlagKey, flagKey },
            { ResultReason, reason },
        };
        if (variant is not null)
        {
            tags.Add(ResultVariant, variant);
        }

        if (errorType is not null)
        {
            tags.Add(ErrorType, errorType);
        }

        if (_clientTag is { } client)
        {
            tags.Add(client);
        }

        Evaluations.Add(1, tags);
    }

    /// <summary>Counts a session that ended other than by our shutdown, tagged with why.</summary>
    public void RecordSessionEnd(SessionEnd end)
    {
        if (end != SessionEnd.Stopped && Failures.Enabled)
        {
            var tags = new TagList { { ErrorType, ErrorTypeOf(end) } };
            AddClient(ref tags);
            Failures.Add(1, tags);
        }
    }

    /// <summary>Records one applied data-sync message.</summary>
    public void RecordDataSync(string transport, bool full, TimeSpan apply, TimeSpan visible)
    {
        var tags = new TagList
        {
            { SyncType, full ? "full" : "patch" },
            { Transport, transport },
        };
        AddClient(ref tags);
        ApplyDuration.Record(apply.TotalSeconds, tags);
        PushToVisible.Record(visible.TotalSeconds, tags);
    }

    /// <summary>Counts one poll, tagged with how it ended.</summary>
    public void RecordPoll(string outcome)
    {
        if (Polls.Enabled)
        {
            var tags = new TagList { { PollOutcome, outcome } };
            AddClient(ref tags);
            Polls.Add(1, tags);
        }
    }

    /// <summary>Counts one switch of the live transport.</summary>
    public void RecordFailover(string to, string reason)
    {
        if (Failovers.Enabled)
        {
            var tags = new TagList { { Transport, to }, { ErrorType, reason } };
            AddClient(ref tags);
            Failovers.Add(1, tags);
        }
    }

    /// <summary>The <c>error.type</c> of a session end (snake case of <see cref="SessionEnd"/>).</summary>
    public static string ErrorTypeOf(SessionEnd end) => end switch
    {
        SessionEnd.ConnectFailed => "connect_failed",
        SessionEnd.UpgradeRefused => "upgrade_refused",
        SessionEnd.ClosedByServer => "closed_by_server",
        SessionEnd.Rejected => "rejected",
        SessionEnd.ConnectionLost => "connection_lost",
        SessionEnd.LivenessTimeout => "liveness_timeout",
        SessionEnd.MessageTooLarge => "message_too_large",
        SessionEnd.NoReply => "no_reply",
        _ => "_OTHER",
    };

    private void AddClient(ref TagList tags)
    {
        if (_clientTag is { } client)
        {
            tags.Add(client);
        }
    }

    private Measurement<long> Observe(long value)
        => _clientTag is { } client ? new Measurement<long>(value, client) : new Measurement<long>(value);

    private Measurement<int> Observe(int value)
        => _clientTag is { } client ? new Measurement<int>(value, client) : new Measurement<int>(value);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
