using System.Collections;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using FeatureFlags.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// The environment secret and the connection token never leave the SDK (issue 9, part 4): one full run of a real host
/// against the real fake servers (sync, a push, a garbage frame, a server close and reconnects, a refused connect,
/// event flushes that succeed and fail, health checks, a 4003 rejection, a start-wait timeout, a validation failure)
/// with every log record (all categories and levels, scopes, state, exceptions) and all telemetry of sources and meters
/// named <c>FeatureFlags*</c> captured; neither the secret, nor any token the server saw, nor <c>token=</c> appears.
/// </summary>
[Collection(StressTests.Name)] // the listeners are process-wide: no other test's telemetry may mix in
public sealed class SecretLeakTests
{
    // 44 characters like a real FeatBit secret, distinctive enough that any fragment is findable.
    private const string Secret = "LEAKCANARYq7Zx9Wm3Kp5Rt8Yv2Nb6Hd4Jf1Gs0Lc-Ew";

    private const long V1 = 1_700_000_000_000;
    private static readonly FlagUser User = FlagUser.Create("u");

    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private readonly FakeLogCollector _logs = new();
    private readonly List<string> _captured = [];

    /// <summary>Stands for the app's own request tracing (its name starts with FeatureFlags, so the capture listens to it).</summary>
    private static readonly ActivitySource RequestSource = new("FeatureFlags.Tests.SecretLeak");

    [Fact]
    [Trait("Conformance", "API-06")]
    public async Task FullRun_SecretAndTokensNeverAppearInLogsTelemetryHealthOrErrors()
    {
        Assert.Equal(44, Secret.Length);
        using var telemetry = new TelemetryCapture();
        await using var server = await FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        server.Secret = Secret;
        server.UpsertFlag(FakeFeatBitServer.BoolFlag("flag-a", true, V1));
        await using var events = await FakeEventServer.StartAsync();
        using var host = ReliabilityHost.Build(
            new()
            {
                ["FeatureFlags:EnvSecret"] = Secret,
                ["FeatureFlags:Streaming:Uri"] = server.StreamingUri.ToString(),
                ["FeatureFlags:Events:Uri"] = events.BaseUri.ToString(),
                ["FeatureFlags:StartWaitTime"] = "00:00:00",
                ["FeatureFlags:Events:SendTimeout"] = "1.00:00:00",
            },
            _time,
            new FakeLoggerProvider(_logs),
            configure: s => s.AddHealthChecks().AddFeatureFlagsHealthCheck());
        await host.StartAsync(TestContext.Current.CancellationToken);
        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var status = host.Services.GetRequiredService<IFeatureFlagsStatusProvider>();
        await WaitUntilAsync(() => status.Current.State == FeatureFlagsState.Ready, "the first sync");
        await CheckHealthAsync(host);

        // Evaluations inside a request's activity (so the SDK adds its evaluation events to it), events delivered, then
        // a batch the endpoint refuses with 500 (retried, then dropped and logged).
        using (RequestSource.StartActivity("request"))
        {
            Assert.True(client.BoolVariation("flag-a", User));
            Assert.False(client.BoolVariation("no-such-flag", User));
        }

        client.Track(User, "checkout");
        client.Identify(User);
        await client.FlushAsync(TestContext.Current.CancellationToken);
        events.Script(HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError);
        client.Track(User, "checkout");
        var failing = client.FlushAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => failing.IsCompleted, "the failing flush", TimeSpan.FromMilliseconds(250));
        await failing;

        // A push, a garbage frame, a server close and a reconnect.
        await server.PushFlagAsync(FakeFeatBitServer.BoolFlag("flag-a", false, V1 + 1), TestContext.Current.CancellationToken);
        await server.SendRawAsync("not json {", TestContext.Current.CancellationToken);
        await server.CloseAllAsync(WebSocketCloseStatus.InternalServerError, "store unavailable", TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => server.DataSyncTimestamps.Count >= 2 && status.Current.State == FeatureFlagsState.Ready, "a reconnect", TimeSpan.FromSeconds(1));

        // The server goes away: refused connects (their errors are logged and recorded), then it comes back.
        await server.StopAsync();
        await WaitUntilAsync(() => ReliabilityHost.HasLog(_logs, 2003) && ReliabilityHost.HasLog(_logs, 2012), "a refused connect", TimeSpan.FromSeconds(1));
        await CheckHealthAsync(host);
        await server.RestartAsync(TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => status.Current.State == FeatureFlagsState.Ready, "the reconnect after the outage", TimeSpan.FromSeconds(5));

        // 4003: syncing stops for good with a clear error, in the status and the health check.
        server.EnqueueScript(ConnectionScript.RejectWith4003);
        await server.CloseAllAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
        await WaitUntilAsync(() => status.Current.State == FeatureFlagsState.Off, "the 4003 rejection", TimeSpan.FromSeconds(1));
        Assert.Contains("4003", status.Current.LastError, StringComparison.Ordinal);
        await CheckHealthAsync(host);
        Assert.False(await status.WaitForReadyAsync(TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken));
        _captured.Add(status.Current.LastError!);
        _captured.Add(status.Current.ToString()!);
        _captured.Add(host.Services.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value.ToString()!);

        // A validation failure of a host configured with the secret.
        var invalid = ReliabilityHost.Build(new() { ["FeatureFlags:EnvSecret"] = Secret, ["FeatureFlags:Streaming:MaxMessageSize"] = "0", ["FeatureFlags:Events:Uri"] = "ftp://" + Secret }, _time, new FakeLoggerProvider(_logs));
        var validation = await Assert.ThrowsAsync<OptionsValidationException>(() => invalid.StartAsync(TestContext.Current.CancellationToken));
        _captured.Add(validation.ToString());
        invalid.Dispose();

        await host.StopAsync(TestContext.Current.CancellationToken);
        telemetry.RecordObservables();

        // The run did what it claims.
        Assert.All(new[] { 2002, 2003, 2005, 2009, 2012, 3005, 3009 }, id => Assert.True(ReliabilityHost.HasLog(_logs, id), $"log {id} missing"));
        var tokens = server.RequestUris.Select(u => QueryHelpers.ParseQuery(new Uri(server.BaseUri, u).Query)["token"].ToString()).Where(t => t.Length > 0).Distinct().ToList();
        Assert.True(tokens.Count >= 4, $"only {tokens.Count} tokens seen");
        Assert.All(events.Requests, r => Assert.Equal(Secret, r.Authorization)); // the secret does travel where it must

        var everything = new StringBuilder();
        foreach (var record in _logs.GetSnapshot())
        {
            everything.Append(CultureInfo.InvariantCulture, $"{record.Level} {record.Category} {record.Id} {record.Message} {record.Exception}\n");
            foreach (var scope in record.Scopes)
            {
                AppendValue(everything, scope);
            }

            foreach (var (key, value) in record.StructuredState ?? [])
            {
                everything.Append(key).Append('=').Append(value).Append('\n');
            }
        }

        _captured.ForEach(c => everything.Append(c).Append('\n'));
        telemetry.AppendTo(everything);
        var text = everything.ToString();
        Assert.True(_logs.Count > 30, $"only {_logs.Count} log records");

        // The telemetry really was captured: evaluation events, and the evaluation, sync and event instruments.
        Assert.All(
            new[] { "event feature_flag.evaluation", "featureflags.evaluations", "featureflags.sync.connects", "featureflags.sync.failures", "featureflags.sync.apply.duration", "featureflags.events.sent" },
            expected => Assert.Contains(expected, text, StringComparison.Ordinal));

        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Secret), text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", text, StringComparison.OrdinalIgnoreCase);
        Assert.All(tokens, t => Assert.DoesNotContain(t, text, StringComparison.Ordinal));
    }

    private static void AppendValue(StringBuilder into, object? value)
    {
        if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (key, item) in pairs)
            {
                into.Append(key).Append('=').Append(item).Append('\n');
            }
        }

        into.Append(value).Append('\n');
    }

    private async Task CheckHealthAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        foreach (var (name, entry) in report.Entries)
        {
            var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"health {name} {entry.Status} {entry.Description} {entry.Exception}\n");
            foreach (var (key, value) in entry.Data)
            {
                text.Append(key).Append('=').Append(value).Append('\n');
            }

            _captured.Add(text.ToString());
        }
    }

    private Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? step = null)
        => ReliabilityHost.AdvanceUntilAsync(_time, condition, step ?? TimeSpan.Zero, what);

    /// <summary>
    /// Records every activity (name, tags, events, links, status, baggage) of sources named <c>FeatureFlags*</c> and every
    /// measurement (value, tags) of every instrument of meters named <c>FeatureFlags*</c>, whatever they are: new
    /// instruments are covered without changing this test.
    /// </summary>
    private sealed class TelemetryCapture : IDisposable
    {
        private readonly ActivityListener _activities;
        private readonly MeterListener _meters = new();
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();

        public TelemetryCapture()
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = s => s.Name.StartsWith("FeatureFlags", StringComparison.Ordinal),
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = a => Record(a, "start"),
                ActivityStopped = a => Record(a, "stop"),
            };
            ActivitySource.AddActivityListener(_activities);

            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith("FeatureFlags", StringComparison.Ordinal))
                {
                    Append($"instrument {instrument.Meter.Name} {instrument.Meter.Version} {instrument.Name} {instrument.Unit} {instrument.Description} {Join(instrument.Meter.Tags)} {Join(instrument.Tags)}");
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.SetMeasurementEventCallback<byte>(OnMeasurement);
            _meters.SetMeasurementEventCallback<short>(OnMeasurement);
            _meters.SetMeasurementEventCallback<int>(OnMeasurement);
            _meters.SetMeasurementEventCallback<long>(OnMeasurement);
            _meters.SetMeasurementEventCallback<float>(OnMeasurement);
            _meters.SetMeasurementEventCallback<double>(OnMeasurement);
            _meters.SetMeasurementEventCallback<decimal>(OnMeasurement);
            _meters.Start();
        }

        public void RecordObservables() => _meters.RecordObservableInstruments();

        public void AppendTo(StringBuilder into)
        {
            lock (_lock)
            {
                into.Append(_text);
            }
        }

        public void Dispose()
        {
            _activities.Dispose();
            _meters.Dispose();
        }

        private static string Join(IEnumerable<KeyValuePair<string, object?>>? tags)
            => tags is null ? string.Empty : string.Join(' ', tags.Select(t => $"{t.Key}={Flatten(t.Value)}"));

        /// <summary>Tag values may be arrays or other collections: every element is written out.</summary>
        private static string? Flatten(object? value)
            => value is IEnumerable items and not string ? string.Join(',', items.Cast<object?>().Select(Flatten)) : Convert.ToString(value, CultureInfo.InvariantCulture);

        private void OnMeasurement<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
            => Append($"measure {instrument.Meter.Name} {instrument.Name} {value} {Join(tags.ToArray())}");

        private void Record(Activity activity, string phase)
        {
            var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"activity {phase} {activity.Source.Name} {activity.OperationName} {activity.DisplayName} {activity.Status} {activity.StatusDescription} {Join(activity.TagObjects)}");
            foreach (var e in activity.Events)
            {
                text.Append(CultureInfo.InvariantCulture, $" event {e.Name} {Join(e.Tags)}");
            }

            foreach (var link in activity.Links)
            {
                text.Append(CultureInfo.InvariantCulture, $" link {link.Context.TraceId} {Join(link.Tags)}");
            }

            foreach (var (key, value) in activity.Baggage)
            {
                text.Append(CultureInfo.InvariantCulture, $" baggage {key}={value}");
            }

            Append(text.ToString());
        }

        private void Append(string line)
        {
            lock (_lock)
            {
                _text.Append(line).Append('\n');
            }
        }
    }
}
