namespace FeatureFlags;

/// <summary>How the SDK fetches flag data from the FeatBit server: <c>FeatureFlags:DataSync</c>.</summary>
public enum DataSyncMode
{
    /// <summary>
    /// Streaming, failing over to polling on the failures that mean WebSockets do not get through (an upgrade answered
    /// without 101; connections that open but never sync), probing the stream in the background and switching back
    /// when it holds (<see cref="FailoverOptions"/>). The default.
    /// </summary>
    Auto,

    /// <summary>A WebSocket connection that receives every change as it happens (FeatureFlags:Streaming), and nothing else.</summary>
    Streaming,

    /// <summary>
    /// An HTTP <c>GET /api/public/sdk/server/latest-all</c> every <see cref="PollingOptions.Interval"/>
    /// (FeatureFlags:Polling): for proxies and load balancers that refuse WebSocket upgrades. Changes arrive up to one
    /// interval late.
    /// </summary>
    Polling,
}

/// <summary>HTTP polling of the FeatBit evaluation server or FeatBit Agent: <c>FeatureFlags:Polling:*</c>.</summary>
public sealed class PollingOptions
{
    /// <summary>The shortest <see cref="Interval"/> accepted: 1 s.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets the base URI of the server's HTTP API (<c>http://</c> or <c>https://</c>). A path prefix is kept:
    /// requests go to <c>&lt;Polling:Uri&gt;/api/public/sdk/server/latest-all</c>. Default <see langword="null"/>: the
    /// <see cref="StreamingOptions.Uri"/> with <c>ws://</c> read as <c>http://</c> and <c>wss://</c> as <c>https://</c>.
    /// </summary>
    public Uri? Uri { get; set; }

    /// <summary>
    /// Gets or sets the time from the end of one request to the start of the next (requests never overlap). Default 30 s,
    /// as FeatBit's other polling SDK; at least 1 s (<see cref="MinInterval"/>).
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the longest one request may take, response body included; a slower one is abandoned and retried. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how often the SDK polls again after the server refused the secret (HTTP 401 or 403): the status stays
    /// <see cref="FeatureFlagsState.Off"/> with the error until a request is accepted. A FeatBit Agent that restarted
    /// refuses valid secrets until it is loaded again. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> stops
    /// polling for good at the first refusal. Default 1 minute.
    /// </summary>
    public TimeSpan RetryAfterRejection { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// When <see cref="DataSyncMode.Auto"/> leaves the stream for polling and comes back: <c>FeatureFlags:Failover:*</c>.
/// </summary>
/// <remarks>
/// A WebSocket upgrade answered with anything but <c>101 Switching Protocols</c> (a proxy or load balancer that does not
/// pass WebSockets) fails over at once. So do <see cref="FailAfter"/> connections in a row that opened but ended
/// before the data-sync reply was committed (no reply, dropped, silent, closed by a proxy). Connections that could not
/// be opened at all (the server is down, DNS, TCP timeouts) and rejected secrets never fail over: polling the same
/// server would not help.
/// </remarks>
public sealed class FailoverOptions
{
    /// <summary>
    /// Gets or sets how many stream connections in a row may open and end before their data-sync reply was committed
    /// before the SDK fails over to polling. Default 2; at least 1.
    /// </summary>
    public int FailAfter { get; set; } = 2;

    /// <summary>
    /// Gets or sets the time from the failover to the first background probe of the stream; each failed probe doubles
    /// it (with jitter) up to <see cref="MaxProbeInterval"/>. Default 30 s.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the longest time between two probes of the stream. Default 5 minutes.</summary>
    public TimeSpan MaxProbeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how long a probe connection must stay in sync before polling stops and the stream is the live
    /// transport again (both commit meanwhile, by version: no gap and nothing moves back). Default 10 s.
    /// </summary>
    public TimeSpan SwitchBackAfter { get; set; } = TimeSpan.FromSeconds(10);
}
