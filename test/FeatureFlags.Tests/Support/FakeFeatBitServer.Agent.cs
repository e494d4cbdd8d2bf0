namespace FeatureFlags.Tests.Support;

/// <summary>FeatBit Agent mode (the relay between SDKs and FeatBit).</summary>
internal sealed partial class FakeFeatBitServer
{
    /// <summary>The description FeatBit Agent sends with 4003 when it holds no data for the secret (protocol.md §1.12).</summary>
    public const string SecretNotFoundDescription = "secret is not found";

    private bool _agentHasData = true;
    private int _agentRejections;
    private int _unrequestedFulls;

    /// <summary>
    /// Behave like FeatBit Agent (the relay, same WebSocket API) instead of the evaluation server. It changes:
    /// <see cref="RestartAsync(CancellationToken)"/> (the agent keeps no data: every connection, even with a valid
    /// secret, is closed with 4003 <see cref="SecretNotFoundDescription"/> until <see cref="LoadFull"/> or
    /// <see cref="BootstrapAsync"/> loads data). Everything else works in either mode: <see cref="PushFullAsync"/> (the
    /// agent's manual load), <see cref="Rollback"/>, <see cref="AgentDataVersion"/>. Off by default.
    /// </summary>
    public bool AgentMode { get; set; }

    /// <summary>Whether the agent holds data (false after a <see cref="RestartAsync(CancellationToken)"/> in <see cref="AgentMode"/> until a load).</summary>
    public bool AgentHasData
    {
        get
        {
            lock (_stateLock)
            {
                return _agentHasData;
            }
        }
    }

    /// <summary>Connections closed with 4003 <see cref="SecretNotFoundDescription"/> because the agent held no data.</summary>
    public int AgentRejections => Volatile.Read(ref _agentRejections);

    /// <summary>How many unrequested <c>full</c> data-syncs <see cref="PushFullAsync"/> sent (one per call).</summary>
    public int UnrequestedFulls => Volatile.Read(ref _unrequestedFulls);

    /// <summary>
    /// The agent's manual load (FeatBit Agent's "manual" mode): replaces the whole state like <see cref="LoadFull"/>,
    /// marks the agent as holding data, then sends the new state as an unrequested <c>full</c> to every connection.
    /// </summary>
    public Task BootstrapAsync(string dataSyncJson, CancellationToken ct = default)
    {
        LoadFull(dataSyncJson);
        return PushFullAsync(ct);
    }

    /// <summary>
    /// Sends the whole current state as an unrequested <c>{"eventType":"full",...}</c> data-sync to every serving
    /// connection, as FeatBit Agent does on each manual load. It may hold fewer flags than the client (deleted ones,
    /// see <see cref="RemoveFlag"/>) or older versions (see <see cref="Rollback"/>): a client must replace its store.
    /// </summary>
    public async Task PushFullAsync(CancellationToken ct = default)
    {
        string full;
        lock (_stateLock)
        {
            full = DataSyncMessage("full", _flags.Values, _segments.Values, TimestampShape.Reply);
        }

        await BroadcastAsync(full, ct);
        Interlocked.Increment(ref _unrequestedFulls);
    }

    /// <summary>
    /// A rollback loaded into FeatBit Agent: the flag's OLDER definition (with its older <c>updatedAt</c>) replaces the
    /// current one without any message, while <see cref="AgentDataVersion"/> does not go down. So a client asking for
    /// "newer than my cursor" does not get the rolled-back flag (an empty patch when nothing else changed), as with the
    /// real agent; only a full data set (cursor 0, or <see cref="PushFullAsync"/>) carries it.
    /// </summary>
    public void Rollback(System.Text.Json.Nodes.JsonObject olderFlag)
    {
        ArgumentNullException.ThrowIfNull(olderFlag);
        var key = KeyOf(olderFlag, "key");
        lock (_stateLock)
        {
            _flags[key] = (System.Text.Json.Nodes.JsonObject)olderFlag.DeepClone();
        }
    }
}
