using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using FeatureFlags.Model.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// Time to Ready against the in-process FeatBit-protocol server on loopback, with a breakdown of where it goes:
/// <c>ready-time [starts] [flags]</c> measures <see cref="FeatureFlagsClient.StartAsync(Action{FeatureFlagsOptions}, ILoggerFactory?, CancellationToken)"/>
/// in this process (the first start cold, the rest warm); <c>ready-time-process [starts] [flags]</c> starts a fresh
/// process per start and measures from process start to Ready, next to an empty process.
/// </summary>
/// <remarks>
/// The phases come from the SDK's own signals, read the way an app would: the log events 2001 (connecting) and 2002
/// (connected), and the histograms <c>featureflags.sync.push_to_visible.duration</c> (first frame of the reply to
/// visible) and <c>featureflags.sync.apply.duration</c> (compile and commit). Parse is measured apart on the same
/// bytes, to split "receive and parse".
/// </remarks>
internal static class TimeToReady
{
    private const string ChildCommand = "ready-child";
    private const string EmptyChildCommand = "ready-child-empty";

    public static async Task RunAsync(string[] args)
    {
        var starts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
        var flags = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        await using var server = await StartServerAsync(flags);
        var timelines = new List<Timeline>();
        for (var i = 0; i < starts + 1; i++)
        {
            timelines.Add(await MeasureStartAsync(server.StreamingUri, server.Secret));
        }

        var payload = Encoding.UTF8.GetBytes(SyncData.Envelope("full", Enumerable.Range(0, flags).Select(i => SyncData.Flag(i, 1_700_000_000_000))));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time to Ready in one process, {flags} flags ({payload.Length / 1024} KiB full data-sync), fake FeatBit server on loopback"));
        Print("first start (cold: JIT, first connection)", [timelines[0]], ParseMs(payload, 1));
        Print($"next {starts} starts (warm), median of each phase", timelines.Skip(1).ToList(), ParseMs(payload, 20));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  connection token alone (warm): {TokenMicroseconds():F2} µs"));
    }

    /// <summary>Process start to Ready: a fresh <c>dotnet</c> process per start, against a server in this process.</summary>
    public static async Task RunProcessesAsync(string[] args)
    {
        var starts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var flags = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        await using var server = await StartServerAsync(flags);
        var self = typeof(TimeToReady).Assembly.Location;
        await RunChildAsync(self, EmptyChildCommand, server); // warm the disk cache
        var empty = new List<double>();
        var total = new List<double>();
        var inMain = new List<double>();
        var phases = new List<double[]>();
        for (var i = 0; i < starts; i++)
        {
            var (emptyTotal, _) = await RunChildAsync(self, EmptyChildCommand, server);
            empty.Add(emptyTotal);
            var (childTotal, line) = await RunChildAsync(self, ChildCommand, server);
            total.Add(childTotal);
            var values = line.Split(' ').Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            inMain.Add(values[0]);
            phases.Add(values[1..]);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"process start to Ready, {flags} flags, {starts} fresh processes (medians):"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  process start -> Ready: {Median(total):F1} ms (an empty process, runtime start to its first line: {Median(empty):F1} ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  Main -> Ready: {Median(inMain):F1} ms"));
        PrintPhases("StartAsync in a fresh process (cold)", Enumerable.Range(0, PhaseNames.Length + 1).Select(p => Median(phases.Select(v => v[p]).ToList())).ToArray(), parseMs: null);
    }

    /// <summary>The child: starts a client and prints <c>ready {Main to Ready ms} {StartAsync to Ready ms}</c>.</summary>
    public static async Task ChildAsync(string[] args, long mainStarted)
    {
        if (args[0] == EmptyChildCommand)
        {
            Console.WriteLine("ready 0 0");
            return;
        }

        var timeline = await MeasureStartAsync(new Uri(args[1]), args[2]);
        Console.WriteLine("ready " + string.Join(' ', new[] { Stopwatch.GetElapsedTime(mainStarted, timeline.Ready).TotalMilliseconds }
            .Concat(timeline.Phases()).Select(v => v.ToString("F2", CultureInfo.InvariantCulture))));
    }

    public static bool IsChild(string[] args) => args is [ChildCommand, _, _] or [EmptyChildCommand, ..];

    private static async Task<(double TotalMs, string Line)> RunChildAsync(string self, string command, FakeFeatBitServer server)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(self);
        info.ArgumentList.Add(command);
        info.ArgumentList.Add(server.StreamingUri.ToString());
        info.ArgumentList.Add(server.Secret);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info)!;
        var line = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the child printed nothing");
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await process.WaitForExitAsync();
        return (elapsed, line);
    }

    private static async Task<FakeFeatBitServer> StartServerAsync(int flags)
    {
        var server = await FakeFeatBitServer.StartAsync();
        server.LoadFull(SyncData.Envelope("full", Enumerable.Range(0, flags).Select(i => SyncData.Flag(i, 1_700_000_000_000))));
        return server;
    }

    private static async Task<Timeline> MeasureStartAsync(Uri streamingUri, string secret)
    {
        var timeline = new Timeline();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FeatureFlagsTelemetry.MeterName
                && instrument.Name is "featureflags.sync.push_to_visible.duration" or "featureflags.sync.apply.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "featureflags.sync.apply.duration")
            {
                timeline.ApplyMs ??= value * 1000;
            }
            else
            {
                timeline.VisibleAt ??= Stopwatch.GetTimestamp();
                timeline.PushToVisibleMs ??= value * 1000;
            }
        });
        listener.Start();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new TimelineLoggerProvider(timeline)));
        timeline.Started = Stopwatch.GetTimestamp();
        await using var client = await FeatureFlagsClient.StartAsync(
            o =>
            {
                o.EnvSecret = secret;
                o.Streaming.Uri = streamingUri;
            },
            loggerFactory);
        timeline.Ready = Stopwatch.GetTimestamp();
        if (client.Status.Current.State != FeatureFlagsState.Ready)
        {
            throw new InvalidOperationException("The client did not become ready.");
        }

        return timeline;
    }

    private static readonly string[] PhaseNames =
    [
        "host (container, options, data system, token)",
        "connect (TCP + WebSocket upgrade)",
        "request -> first frame of the reply",
        "receive the rest + parse",
        "compile + commit",
        "commit -> StartAsync returns (Ready)",
    ];

    private static void Print(string what, List<Timeline> timelines, double parseMs)
        => PrintPhases(what, Enumerable.Range(0, PhaseNames.Length + 1).Select(p => Median(timelines.Select(t => t.Phases()[p]).ToList())).ToArray(), parseMs);

    /// <summary>Prints the total, then each phase; <paramref name="values"/> is the total followed by the phases.</summary>
    private static void PrintPhases(string what, double[] values, double? parseMs)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}: StartAsync -> Ready {values[0]:F2} ms"));
        for (var i = 0; i < PhaseNames.Length; i++)
        {
            var note = i == 3 && parseMs is { } parse ? string.Create(CultureInfo.InvariantCulture, $" (parse alone, same bytes, warm: {parse:F2} ms)") : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {PhaseNames[i],-48} {values[i + 1],8:F2} ms{note}"));
        }
    }

    private static double ParseMs(byte[] payload, int rounds)
    {
        var best = double.MaxValue;
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            _ = WireJson.ReadDataSync(payload);
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return best;
    }

    private static double TokenMicroseconds()
    {
        var provider = new ConnectionTokenProvider(TimeProvider.System);
        const int Rounds = 10_000;
        for (var i = 0; i < 100; i++)
        {
            _ = provider.Create(FakeFeatBitServer.DefaultSecret);
        }

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Rounds; i++)
        {
            _ = provider.Create(FakeFeatBitServer.DefaultSecret);
        }

        return Stopwatch.GetElapsedTime(started).TotalMicroseconds / Rounds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private sealed class Timeline
    {
        public long Started;
        public long Connecting;
        public long Connected;
        public long Ready;
        public long? VisibleAt;
        public double? PushToVisibleMs;
        public double? ApplyMs;

        public long FirstFrame => VisibleAt!.Value - (long)(PushToVisibleMs!.Value / 1000 * Stopwatch.Frequency);

        /// <summary>The total, then the phases in the order of <see cref="PhaseNames"/>.</summary>
        public double[] Phases() =>
        [
            Ms(Started, Ready),
            Ms(Started, Connecting),
            Ms(Connecting, Connected),
            Ms(Connected, FirstFrame),
            PushToVisibleMs!.Value - ApplyMs!.Value,
            ApplyMs!.Value,
            Ms(VisibleAt!.Value, Ready),
        ];

        private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
    }

    private sealed class TimelineLoggerProvider(Timeline timeline) : ILoggerProvider
    {
        private readonly ConcurrentDictionary<string, ILogger> _loggers = new();

        public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, _ => new TimelineLogger(timeline));

        public void Dispose()
        {
        }
    }

    private sealed class TimelineLogger(Timeline timeline) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var now = Stopwatch.GetTimestamp();
            switch (eventId.Id)
            {
                case 2001 when timeline.Connecting == 0:
                    timeline.Connecting = now;
                    break;
                case 2002 when timeline.Connected == 0:
                    timeline.Connected = now;
                    break;
            }
        }
    }
}
