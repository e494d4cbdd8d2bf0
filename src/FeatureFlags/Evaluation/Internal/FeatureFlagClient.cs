using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FeatureFlags.DependencyInjection.Internal;
using FeatureFlags.Events.Internal;
using FeatureFlags.Hooks;
using FeatureFlags.Hooks.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Telemetry.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The singleton client: evaluates against the store's current snapshot (or a snapshot captured by a scope) and
/// converts the result, recording an insight event for each successful typed evaluation. No member throws.
/// </summary>
internal sealed partial class FeatureFlagClient : IFeatureFlagClient
{
    private readonly FlagStore _store;
    private readonly bool _strict;

    // Null when events are disabled (or not registered): recording then costs one null check.
    private readonly EventProcessor? _events;

    // Null when no hook is registered: an evaluation then pays one null check for hooks.
    private readonly HookRunner? _hooks;

    /// <summary>The most keys each "logged once" set remembers; past it, new keys are counted, not logged.</summary>
    internal const int MaxReportedKeys = 4096;

    // Flags whose evaluation failed, by key, with the version last reported (logged once per flag version).
    private readonly ConcurrentDictionary<string, long> _reportedFailures = new(StringComparer.Ordinal);

    // Flag key and requested type of each wrong-type request already logged (once per pair, whatever the version).
    private readonly ConcurrentDictionary<(string FlagKey, Type Requested), long> _reportedWrongTypes = new();
    private long _unreported;
    private readonly ILogger _logger;
    private readonly TimeSpan _regexMatchTimeout;
    private readonly bool _traceUserKey;

    // Warns once when nothing will ever start this client (a service provider built by hand); checked on "not ready" only.
    private readonly HostStartWatch? _startWatch;

    public FeatureFlagClient(
        FlagStore store, IOptions<FeatureFlagsOptions> options, EventProcessor? events = null, ILogger<FeatureFlagClient>? logger = null,
        HostStartWatch? startWatch = null, HookRunner? hooks = null)
    {
        _startWatch = startWatch;
        _store = store;
        _strict = options.Value.Evaluation.StrictMissingAttributes;
        _regexMatchTimeout = options.Value.Evaluation.RegexMatchTimeout;
        _traceUserKey = options.Value.Evaluation.TraceUserKey;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        // The processor already knows whether events are on (Events:Enabled, Offline, a local recorder).
        _events = events is { IsEnabled: true } ? events : null;
        _hooks = hooks is { Count: > 0 } ? hooks : null;
    }

    public bool IsInitialized => _store.IsInitialized;

    internal FlagStore Store => _store;

    /// <summary>The event processor evaluations record to; null when events are disabled.</summary>
    internal EventProcessor? Events => _events;

    /// <summary>The hooks evaluations and <c>Track</c> run; null when none is registered.</summary>
    internal HookRunner? Hooks => _hooks;

    /// <summary>Problems not logged because a "logged once" set was full (<see cref="MaxReportedKeys"/>).</summary>
    internal long UnreportedProblems => Interlocked.Read(ref _unreported);

    /// <summary>How many flags the "failure logged once" set remembers (at most <see cref="MaxReportedKeys"/>).</summary>
    internal int ReportedFailureKeys => _reportedFailures.Count;

    public bool IsEnabled(string flagKey, FlagUser user)
        => Variation<bool, BoolConverter>(_store.Current, flagKey, user, false);

    public bool BoolVariation(string flagKey, FlagUser user, bool defaultValue = false)
        => Variation<bool, BoolConverter>(_store.Current, flagKey, user, defaultValue);

    public EvaluationDetail<bool> BoolVariationDetail(string flagKey, FlagUser user, bool defaultValue = false)
        => Evaluate<bool, BoolConverter>(_store.Current, flagKey, user, defaultValue);

    public string StringVariation(string flagKey, FlagUser user, string defaultValue)
        => Variation<string, StringConverter>(_store.Current, flagKey, user, defaultValue);

    public EvaluationDetail<string> StringVariationDetail(string flagKey, FlagUser user, string defaultValue)
        => Evaluate<string, StringConverter>(_store.Current, flagKey, user, defaultValue);

    public int IntVariation(string flagKey, FlagUser user, int defaultValue = 0)
        => Variation<int, IntConverter>(_store.Current, flagKey, user, defaultValue);

    public EvaluationDetail<int> IntVariationDetail(string flagKey, FlagUser user, int defaultValue = 0)
        => Evaluate<int, IntConverter>(_store.Current, flagKey, user, defaultValue);

    public double DoubleVariation(string flagKey, FlagUser user, double defaultValue = 0)
        => Variation<double, DoubleConverter>(_store.Current, flagKey, user, defaultValue);

    public EvaluationDetail<double> DoubleVariationDetail(string flagKey, FlagUser user, double defaultValue = 0)
        => Evaluate<double, DoubleConverter>(_store.Current, flagKey, user, defaultValue);

    public T JsonVariation<T>(string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo)
        => JsonVariationDetail(flagKey, user, defaultValue, jsonTypeInfo).Value;

    public EvaluationDetail<T> JsonVariationDetail<T>(string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo)
        => EvaluateJson(_store.Current, flagKey, user, defaultValue, jsonTypeInfo);

    public AllFlagsState GetAllFlags(FlagUser user) => GetAllFlags(_store.Current, user);

    public void Track(FlagUser user, string eventName, double numericValue = 1)
    {
        _events?.Track(user, eventName, numericValue);
        if (_hooks is not null && user is not null && !string.IsNullOrWhiteSpace(eventName))
        {
            _hooks.AfterTrack(new TrackSeriesContext(eventName, user, numericValue, _hooks.ClientName));
        }
    }

    public void TrackPageView(FlagUser user, string eventName, string route) => _events?.TrackPageView(user, eventName, route);

    public void Identify(FlagUser user) => _events?.Identify(user);

    public Task FlushAsync(CancellationToken cancellationToken = default)
        => _events is null ? Task.CompletedTask : _events.FlushAsync(cancellationToken);

    /// <summary>
    /// The one evaluation path: snapshot lookup, evaluation, conversion; never throws. A successful conversion records
    /// an evaluation event and the hooks run unless <paramref name="record"/> is false (internal evaluations such as the
    /// flag tracker's).
    /// </summary>
    internal EvaluationDetail<T> Evaluate<T, TConverter>(FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue, bool record = true)
        where TConverter : IVariationConverter<T>
        => Evaluate<T, TConverter>(snapshot, flagKey, user, defaultValue, record, out _, out _);

    /// <summary>
    /// <see cref="Evaluate{T, TConverter}(FlagSnapshot, string, FlagUser, T, bool)"/>, also giving the flag evaluated
    /// (null when none was) and whether a percentage rollout chose the value (<paramref name="split"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private EvaluationDetail<T> Evaluate<T, TConverter>(
        FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue, bool record, out CompiledFlag? flag, out bool split)
        where TConverter : IVariationConverter<T>
    {
        if (_hooks is not null && record)
        {
            return EvaluateWithHooks<T, TConverter>(_hooks, snapshot, flagKey, user, defaultValue, out flag, out split);
        }

        var detail = EvaluateCore<T, TConverter>(snapshot, flagKey, user, defaultValue, out flag, out var served, out var sendToExperiment, out split);
        if (record)
        {
            Record(user, flag, served, sendToExperiment, split, detail.FlagKey, detail.VariationId, detail.Kind, detail.Reason);
        }

        return detail;
    }

    /// <summary>
    /// Records an evaluation the caller made: its insight event when a variation was served, and its telemetry (every
    /// outcome, errors included; with nobody listening this is two field reads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Record(
        FlagUser user, CompiledFlag? flag, CompiledVariation? served, bool sendToExperiment, bool split,
        string flagKey, string variationId, EvaluationReasonKind kind, string reason)
    {
        if (served is not null)
        {
            _events?.RecordEvaluation(user, flag!.Key, served, sendToExperiment);
        }

        EvaluationTelemetry.Record(_store.Metrics, flag, _traceUserKey ? user : null, flagKey, variationId, kind, reason, split);
    }

    /// <summary>
    /// Evaluates and converts; <paramref name="served"/> is the variation when the conversion succeeded, else null;
    /// <paramref name="split"/> tells whether a percentage rollout chose it.
    /// </summary>
    private EvaluationDetail<T> EvaluateCore<T, TConverter>(
        FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue,
        out CompiledFlag? flag, out CompiledVariation? served, out bool sendToExperiment, out bool split)
        where TConverter : IVariationConverter<T>
    {
        flag = null;
        served = null;
        sendToExperiment = false;
        split = false;
        if (flagKey is null)
        {
            return new(string.Empty, defaultValue, string.Empty, EvaluationReasonKind.FlagNotFound, Reasons.FlagKeyNotSpecified);
        }

        if (user is null)
        {
            // The flag is looked up only so that telemetry tags a real flag with its key (an unknown key is not recorded).
            if (snapshot.IsInitialized)
            {
                snapshot.TryGetLiveFlag(flagKey, out flag);
            }

            return new(flagKey, defaultValue, string.Empty, EvaluationReasonKind.Error, Reasons.UserNotSpecified);
        }

        if (!snapshot.IsInitialized)
        {
            _startWatch?.ReportNotReady();
            return new(flagKey, defaultValue, string.Empty, EvaluationReasonKind.ClientNotReady, Reasons.ClientNotReady);
        }

        if (!snapshot.TryGetLiveFlag(flagKey, out flag))
        {
            return new(flagKey, defaultValue, string.Empty, EvaluationReasonKind.FlagNotFound, Reasons.FlagNotFound);
        }

        var result = Run(flag, user);
        var detail = Convert<T, TConverter>(flag, flagKey, result, defaultValue);
        if (detail.Kind == EvaluationReasonKind.WrongType)
        {
            ReportWrongType(flag, typeof(T));
        }
        else if (result.Variation is not null)
        {
            served = result.Variation;
            sendToExperiment = result.SendToExperiment;
            split = result.Split;
        }

        return detail;
    }

    private EvalResult Run(CompiledFlag flag, FlagUser user)
    {
        EvalResult result;
        try
        {
            result = Evaluator.Evaluate(flag, user, _strict);
        }
        catch (Exception e)
        {
            // The evaluator contains every known failure; this guards the promise that nothing escapes.
            return Failed(flag, e);
        }

        return Reported(flag, result);
    }

    /// <summary>Reports an exception that escaped the evaluator for <paramref name="flag"/> and returns the error outcome.</summary>
    private EvalResult Failed(CompiledFlag flag, Exception exception)
    {
        ReportFailure(flag, exception);
        return new EvalResult(null, EvaluationReasonKind.Error, EvalResult.NoRule, false);
    }

    /// <summary>Reports an evaluation that failed (logged once per flag version) and returns it unchanged.</summary>
    private EvalResult Reported(CompiledFlag flag, in EvalResult result)
    {
        if (result.Variation is null && result.Regex != RegexOutcome.BreakerOpen)
        {
            // Only an error leaves the variation null: broken data, or a regex that ran past its match timeout (an open
            // breaker was reported when it opened).
            ReportFailure(flag, exception: null);
            if (result.Regex == RegexOutcome.BreakerTripped)
            {
                ReportBreakerOpened(flag);
            }
        }

        return result;
    }

    /// <summary>Logs that a rule's regex breaker opened: once per trip (exactly one evaluation trips it).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportBreakerOpened(CompiledFlag flag)
    {
        if (Array.Find(flag.Rules, r => r.Breaker is { IsOpen: true }) is { Breaker: { } breaker } rule)
        {
            var policy = breaker.Policy;
            LogRegexBreakerOpened(flag.Key, flag.Version, rule.Name, policy.BreakerThreshold, policy.BreakerWindow, policy.MatchTimeout, policy.BreakerOpenTime);
        }
    }

    /// <summary>Logs a failed evaluation once per flag version (off the hot path: only failures get here).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportFailure(CompiledFlag flag, Exception? exception)
    {
        if (!FirstReport(_reportedFailures, flag.Key, flag.Version))
        {
            return;
        }

        if (exception is null)
        {
            LogEvaluationFailed(LogText.Escape(flag.Key), flag.Version, _regexMatchTimeout);
        }
        else
        {
            LogEvaluationThrew(LogText.Escape(flag.Key), flag.Version, exception);
        }
    }

    /// <summary>Logs a typed evaluation of a flag whose value is not of the requested type, once per flag key and type.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportWrongType(CompiledFlag flag, Type requested)
    {
        if (FirstReport(_reportedWrongTypes, (flag.Key, requested), 0))
        {
            LogWrongType(LogText.Escape(flag.Key), LogText.Escape(flag.VariationType), TypeName(requested));
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> at <paramref name="version"/> is reported for the first time, remembering it. A set
    /// holds at most <see cref="MaxReportedKeys"/> keys: past that, a new key is counted in <see cref="UnreportedProblems"/>
    /// and not logged (the first such key logs one note, 1204), so neither memory nor log volume grows with the keys
    /// callers pass. Unknown keys never get here: only flags found in the store are reported.
    /// </summary>
    private bool FirstReport<TKey>(ConcurrentDictionary<TKey, long> reported, TKey key, long version)
        where TKey : notnull
    {
        if (reported.TryGetValue(key, out var last))
        {
            if (last == version)
            {
                return false;
            }

            reported[key] = version;
            return true;
        }

        if (reported.Count >= MaxReportedKeys)
        {
            if (Interlocked.Increment(ref _unreported) == 1)
            {
                LogReportingCapped(MaxReportedKeys);
            }

            return false;
        }

        return reported.TryAdd(key, version);
    }

    private static string TypeName(Type type)
        => type == typeof(bool) ? "bool"
            : type == typeof(string) ? "string"
            : type == typeof(int) ? "int"
            : type == typeof(double) ? "double"
            : "JSON " + type.Name;

    private static EvaluationDetail<T> Convert<T, TConverter>(CompiledFlag flag, string flagKey, in EvalResult result, T defaultValue)
        where TConverter : IVariationConverter<T>
    {
        if (result.Variation is not { } variation)
        {
            return new(flagKey, defaultValue, string.Empty, result.Kind, result.ReasonFor(flag));
        }

        return TConverter.TryConvert(variation, out var value)
            ? new(flagKey, value, variation.Id, result.Kind, result.ReasonFor(flag))
            : new(flagKey, defaultValue, string.Empty, EvaluationReasonKind.WrongType, Reasons.WrongType);
    }

    /// <summary>Evaluates a JSON flag with source-generated (or reflection) metadata; a null <paramref name="jsonTypeInfo"/> is an error, not a throw.</summary>
    internal EvaluationDetail<T> EvaluateJson<T>(FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T>? jsonTypeInfo)
    {
        if (_hooks is not null)
        {
            return EvaluateJsonWithHooks(_hooks, snapshot, flagKey, user, defaultValue, jsonTypeInfo);
        }

        if (jsonTypeInfo is null)
        {
            return MissingJsonTypeInfo(snapshot, flagKey, user, defaultValue);
        }

        var detail = EvaluateJsonCore(snapshot, flagKey, user, defaultValue, jsonTypeInfo, out var flag, out var split);
        EvaluationTelemetry.Record(_store.Metrics, flag, _traceUserKey ? user : null, detail.FlagKey, detail.VariationId, detail.Kind, detail.Reason, split);
        return detail;
    }

    private EvaluationDetail<T> MissingJsonTypeInfo<T>(FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue)
    {
        var raw = Evaluate<string, StringConverter>(snapshot, flagKey, user, string.Empty, record: false);
        return new(raw.FlagKey, defaultValue, string.Empty, raw.IsDefaultValue ? raw.Kind : EvaluationReasonKind.Error,
            raw.IsDefaultValue ? raw.Reason : "json type info not specified");
    }

    private EvaluationDetail<T> EvaluateJsonCore<T>(
        FlagSnapshot snapshot, string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo, out CompiledFlag? flag, out bool split)
    {
        // The conversion of a JSON flag is the deserialisation: the event is recorded only once it succeeds.
        var raw = EvaluateCore<string, StringConverter>(snapshot, flagKey, user, string.Empty, out flag, out var served, out var sendToExperiment, out split);
        if (served is null)
        {
            return new(raw.FlagKey, defaultValue, string.Empty, raw.Kind, raw.Reason);
        }

        try
        {
            // Parsed once per variation: a JsonElement is served as is (no allocation), a typed value is deserialised
            // straight from the stored UTF-8 bytes (no UTF-16 round trip).
            var json = served.Json;
            T? value = default;
            bool converted;
            if (typeof(T) == typeof(JsonElement))
            {
                converted = json.IsValid;
                if (converted)
                {
                    var element = json.Element;
                    value = Unsafe.As<JsonElement, T>(ref element);
                }
            }
            else
            {
                value = JsonSerializer.Deserialize(json.Utf8, jsonTypeInfo);
                converted = value is not null;
            }

            if (converted)
            {
                _events?.RecordEvaluation(user, flag!.Key, served, sendToExperiment);
                return new(raw.FlagKey, value!, raw.VariationId, raw.Kind, raw.Reason);
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Not JSON of the requested shape: a wrong type, like any other failed conversion.
        }

        split = false;
        ReportWrongType(flag!, typeof(T));
        return new(raw.FlagKey, defaultValue, string.Empty, EvaluationReasonKind.WrongType, Reasons.WrongType);
    }
}
