namespace FeatureFlags;

/// <summary>
/// Options of the feature-flag SDK, bound from the <c>FeatureFlags</c> configuration section.
/// </summary>
public sealed class FeatureFlagsOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "FeatureFlags";

    /// <summary>
    /// Gets or sets the FeatBit environment's server-side secret (44 characters). Treat it as a password: the SDK never
    /// logs it, nor any URL that carries the connection token derived from it.
    /// </summary>
    public string EnvSecret { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how long the host's start waits for the first flag data (15 s by default, as in FeatBit's other server SDKs). After it,
    /// the app starts anyway, evaluations return defaults with <see cref="EvaluationReasonKind.ClientNotReady"/> until
    /// data arrives, and syncing goes on in the background. <see cref="TimeSpan.Zero"/> = do not wait. Default 15 s.
    /// </summary>
    public TimeSpan StartWaitTime { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets whether the SDK works without any network: no streaming connection and no insight events. Flags come
    /// from <see cref="BootstrapFile"/>, which is then watched and reloaded live when it changes. The status is
    /// <see cref="FeatureFlagsState.Ready"/> once the file is loaded; without a readable file it stays
    /// <see cref="FeatureFlagsState.Initializing"/> with the error recorded. <see cref="EnvSecret"/> is not required.
    /// Default <see langword="false"/>.
    /// </summary>
    public bool Offline { get; set; }

    /// <summary>
    /// Gets or sets the path of a JSON file of flags loaded at start: either a FeatBit <c>data-sync</c> message (what
    /// <c>GET /api/public/sdk/server/latest-all</c> returns, envelope or bare <c>data</c> object) or the hand-written
    /// format <c>{"flags": {"my-flag": true, "banner": {"value": "v1", "users": {"alice": "v2"}}}}</c> (see
    /// docs/configuration.md). Online, it only seeds the store until the server's first full data set replaces it;
    /// with <see cref="Offline"/>, it is the source of truth and is reloaded when it changes (a broken file keeps the
    /// last good flags). A relative path is relative to the host's content root (where appsettings.json is). Default none.
    /// </summary>
    public string? BootstrapFile { get; set; }

    /// <summary>
    /// Gets the local overrides, flag key -> value (<c>FeatureFlags:Overrides:my-flag = true</c>): every user gets that
    /// value, whatever the server or the bootstrap file says, with <see cref="EvaluationReasonKind.LocalOverride"/> and the reason
    /// text <c>overridden locally</c>. Meant for development and tests. Reloaded live when the configuration changes.
    /// The value is the variation's text (<c>true</c>, <c>v2</c>, <c>10</c>, <c>{"a":1}</c>). Default none.
    /// </summary>
    public IDictionary<string, string> Overrides { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets the path of the last-known-good cache file. Online, every data set received from the server is
    /// persisted there (debounced, atomically: a temporary file then a rename), as a FeatBit <c>data-sync</c> message.
    /// On start, an existing cache is loaded before the first connect, so an app whose server is unreachable serves the
    /// last flags it knew: the status is then <see cref="FeatureFlagsState.Interrupted"/> (last error
    /// <c>serving cached flags from &lt;file&gt;</c>, then the connection errors) until the server answers. Ignored
    /// when <see cref="Offline"/>. A relative path is relative to the host's content root. Default none.
    /// </summary>
    public string? CacheFile { get; set; }

    /// <summary>
    /// Gets or sets the largest <see cref="BootstrapFile"/> and <see cref="CacheFile"/> read, in bytes. A larger file is
    /// refused like an unreadable one (start-up fails on the bootstrap file; a live reload keeps the last good flags; the
    /// cache is ignored) instead of being read into memory without limit. Only regular files are read: a link to a
    /// device, a FIFO or a directory is refused. Default 64 MiB, as <see cref="StreamingOptions.MaxMessageSize"/>.
    /// </summary>
    public int MaxFileSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Gets or sets how flag data is fetched from the FeatBit server: <see cref="DataSyncMode.Auto"/> (the default: a
    /// WebSocket stream that fails over to HTTP polling when the network refuses or breaks WebSockets, and back when the
    /// stream holds again), <see cref="DataSyncMode.Streaming"/> (the stream only) or <see cref="DataSyncMode.Polling"/>
    /// (an HTTP request every <see cref="PollingOptions.Interval"/>). Ignored when <see cref="Offline"/> or when an app
    /// plugs in its own data source. The rules are in docs/resilience.md, "Transports".
    /// </summary>
    public DataSyncMode DataSync { get; set; } = DataSyncMode.Auto;

    /// <summary>Gets or sets the streaming connection to the FeatBit evaluation server (the <c>FeatureFlags:Streaming</c> section).</summary>
    public StreamingOptions Streaming { get; set; } = new();

    /// <summary>
    /// Gets or sets HTTP polling, used when <see cref="DataSync"/> is <see cref="DataSyncMode.Polling"/>, or
    /// <see cref="DataSyncMode.Auto"/> after a failover (the <c>FeatureFlags:Polling</c> section).
    /// </summary>
    public PollingOptions Polling { get; set; } = new();

    /// <summary>Gets or sets when <see cref="DataSyncMode.Auto"/> switches between streaming and polling (the <c>FeatureFlags:Failover</c> section).</summary>
    public FailoverOptions Failover { get; set; } = new();

    /// <summary>Gets or sets insight events: evaluation events and custom metrics sent to FeatBit (the <c>FeatureFlags:Events</c> section).</summary>
    public InsightEventsOptions Events { get; set; } = new();

    /// <summary>Gets or sets how flags are evaluated (the <c>FeatureFlags:Evaluation</c> section).</summary>
    public EvaluationOptions Evaluation { get; set; } = new();
}

/// <summary>The streaming connection to the FeatBit evaluation server: <c>FeatureFlags:Streaming:*</c>.</summary>
public sealed class StreamingOptions
{
    /// <summary>
    /// Gets or sets the base URI of the FeatBit evaluation server's streaming endpoint (<c>ws://</c> or <c>wss://</c>;
    /// <c>http(s)://</c> is accepted and mapped). A path prefix is kept (<c>https://contoso.com/featbit</c> connects to
    /// <c>/featbit/streaming</c>). Default <c>ws://localhost:5100</c>, a self-hosted FeatBit.
    /// </summary>
    public Uri Uri { get; set; } = new("ws://localhost:5100");

    /// <summary>Gets or sets the longest a WebSocket connect may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the longest a clean close of the WebSocket may take on shutdown. Default 2 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets how often a <c>ping</c> is sent. A connection on which nothing arrives for three intervals is
    /// considered dead (half-open TCP) and replaced. Default 15 s.
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The key under which an app registers its own reconnect pipeline to replace the SDK's
    /// (<c>services.AddResiliencePipeline(StreamingOptions.ReconnectPipelineKey, ...)</c>). The pipeline only sees
    /// failed sessions (<c>Exception</c>s); a rejection (close code 4003) and shutdown never reach it.
    /// </summary>
    public const string ReconnectPipelineKey = "FeatureFlags.Streaming";

    /// <summary>
    /// Gets or sets the first delay of the paced reconnect backoff (used when the server keeps refusing, and after the
    /// quick phase that follows a healthy connection); later delays double, with jitter. Default 1 s.
    /// </summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest delay between reconnect attempts. Default 30 s. Attempts never stop.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long a connection must have been in sync for its loss to start the quick reconnect phase
    /// (attempts every 0.25-0.75 s for 30 s: a restarted server is found within a second) instead of continuing the paced
    /// backoff. A server that drops connections sooner than this is paced. Default 5 s.
    /// </summary>
    public TimeSpan HealthyConnectionTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets the longest the SDK waits for the reply to its data-sync request on a new connection before it
    /// replaces the connection (the server ignores a request it cannot read). Default 30 s.
    /// </summary>
    public TimeSpan DataSyncTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how often the SDK probes again after the server rejected it (close code 4003): the status stays
    /// <see cref="FeatureFlagsState.Off"/> with the error until a connection is accepted. A FeatBit Agent that
    /// restarted answers 4003 for a valid secret until it is loaded again. <see cref="Timeout.InfiniteTimeSpan"/> stops
    /// for good at the first rejection. Default 1 minute.
    /// </summary>
    public TimeSpan RetryAfterRejection { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets the outage after which a reconnect asks for the full data set instead of the changes since the last
    /// version (deletions during a long outage cannot be sent as changes). Default 5 minutes.
    /// </summary>
    public TimeSpan FullResyncAfterOutage { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets the largest server message accepted, in bytes. A larger message is refused (logged, connection
    /// replaced) instead of being buffered without limit. Default 64 MiB.
    /// </summary>
    public int MaxMessageSize { get; set; } = 64 * 1024 * 1024;
}

/// <summary>Insight events (evaluation events, custom metrics, user identification) sent to FeatBit: <c>FeatureFlags:Events:*</c>.</summary>
public sealed class InsightEventsOptions
{
    /// <summary>
    /// Gets or sets the base URI of the FeatBit event (insight) endpoint, <c>http://</c> or <c>https://</c>. A path prefix
    /// is kept: events are posted to <c>&lt;Events:Uri&gt;/api/public/insight/track</c>. Default
    /// <c>http://localhost:5100</c>, a self-hosted FeatBit (FeatBit cloud: <c>https://app-eval.featbit.co</c>).
    /// </summary>
    public Uri Uri { get; set; } = new("http://localhost:5100");

    /// <summary>
    /// Gets or sets whether insight events (evaluation events, <see cref="IFeatureFlagClient.Track"/> metrics and
    /// <see cref="IFeatureFlagClient.Identify"/>) are recorded and sent. When <see langword="false"/> nothing is
    /// recorded or sent, and recording costs nothing. Default <see langword="true"/>. Experiments need events.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how often buffered events are sent; a full batch (<see cref="MaxEventsPerRequest"/>) is sent at
    /// once without waiting. Default 5 s.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how many events may wait to be sent. When the buffer is full (the event endpoint is down or slow),
    /// new events are dropped and counted, never queued without limit and never waited for. Default 10,000.
    /// </summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how many bytes the events waiting to be sent may hold, estimated from their strings when each is
    /// recorded (the user's key, name, email, country and custom attributes, and the flag key or event name, at two
    /// bytes a character plus fixed overheads; a user referenced by several events counts for each). Beyond it new
    /// events are dropped and counted, as when <see cref="BufferCapacity"/> is reached. Default 16 MiB (16,777,216);
    /// 1 MiB to 1 GiB.
    /// </summary>
    public long MaxBufferBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets the largest number of events in one HTTP request. Default 50, as the official SDKs send.</summary>
    public int MaxEventsPerRequest { get; set; } = 50;

    /// <summary>
    /// Gets or sets the longest one attempt to send a batch of events may take (a timed-out attempt is retried, at
    /// most twice). Default 5 s.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets the longest the host's shutdown waits for the final send of buffered events; what is not sent by
    /// then is lost. Default 5 s.
    /// </summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>How flags are evaluated: <c>FeatureFlags:Evaluation:*</c>.</summary>
public sealed class EvaluationOptions
{
    /// <summary>
    /// Gets or sets whether a rule condition on an attribute the user does not have is always false, negative
    /// operators (<c>NotEqual</c>, <c>NotContain</c>, <c>NotOneOf</c>, <c>NotMatchRegex</c>) included.
    /// Default <see langword="false"/>: a missing attribute reads as an empty string, exactly as the official
    /// FeatBit .NET SDK and the FeatBit server do, so a user gets the same variation everywhere.
    /// </summary>
    public bool StrictMissingAttributes { get; set; }

    /// <summary>
    /// Gets or sets whether the <c>feature_flag.evaluation</c> events the SDK adds to the current activity carry the
    /// user's key as <c>feature_flag.context.id</c> (the OpenTelemetry semantic conventions' targeting key). Default
    /// <see langword="false"/>: user keys are often personal data (an email address, say), so they reach your traces
    /// only when you opt in. Set it to <see langword="true"/> when your keys are opaque ids and you want to find a user's
    /// evaluations in traces. Either way the events keep every other attribute, and metrics never carry user data.
    /// </summary>
    public bool TraceUserKey { get; set; }

    /// <summary>
    /// Gets or sets the longest a <c>MatchRegex</c>/<c>NotMatchRegex</c> condition may run for one evaluation; a
    /// regex that takes longer makes the flag return the caller's default with reason <c>malformed flag</c>. Default 10 ms.
    /// </summary>
    /// <remarks>
    /// Rule regexes run on .NET's non-backtracking engine, whose matching time is linear in the input, so the timeout
    /// matters only for patterns that engine refuses (backreferences, lookarounds, atomic groups, conditionals), which run
    /// on the backtracking engine. A rule whose regex runs past the timeout 5 times within 10 seconds is not evaluated for
    /// the next 30 seconds (its flag returns the caller's default with reason <c>malformed flag</c>; warning 1150).
    /// </remarks>
    public TimeSpan RegexMatchTimeout { get; set; } = TimeSpan.FromMilliseconds(10);
}
