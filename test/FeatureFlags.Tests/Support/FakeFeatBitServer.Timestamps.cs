using System.Globalization;
using System.Text.Json.Nodes;

namespace FeatureFlags.Tests.Support;

/// <summary>Data-sync messages and the shape of <c>updatedAt</c> on the wire.</summary>
internal sealed partial class FakeFeatBitServer
{
    private long _versionFloor;

    /// <summary>Where an entity is sent: in a reply to a data-sync request (read from the database) or in a push.</summary>
    private enum TimestampShape
    {
        Reply,
        Push,
    }

    /// <summary>
    /// When true (the default, as measured on a real server), <c>updatedAt</c> is rewritten on the wire: replies to
    /// data-sync requests carry it as the database returns it, with microseconds (<c>2024-05-01T10:11:12.915705Z</c>),
    /// and pushes with an offset (<c>2024-05-01T10:11:12.915+00:00</c>). Both name the same millisecond (versions compare
    /// at millisecond precision, truncated). A stored value with sub-millisecond digits keeps them in replies; one
    /// without gets 500-999 µs, so a parser that rounds instead of truncating is off by one millisecond. A value that
    /// is not a date is sent as stored (hostile input stays hostile). When false, entities are sent exactly as stored.
    /// </summary>
    public bool RealisticTimestamps { get; set; } = true;

    /// <summary>Unix milliseconds as an ISO-8601 UTC string with milliseconds: <c>2023-01-28T02:04:55.616Z</c> (how tests store <c>updatedAt</c>).</summary>
    public static string IsoTimestamp(long unixMs)
        => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>updatedAt</c> as a reply to a data-sync request carries it (the database's microseconds):
    /// <c>2023-01-28T02:04:55.616616Z</c>, with 500-999 µs after the millisecond.
    /// </summary>
    public static string DatabaseTimestamp(long unixMs)
        => DatabaseTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    /// <summary><c>updatedAt</c> as a push carries it: <c>2023-01-28T02:04:55.616+00:00</c>.</summary>
    public static string PushTimestamp(long unixMs)
        => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The FeatBit Agent's data version: the highest <c>updatedAt</c> (Unix ms) it ever held. It never goes down, not
    /// even after a <see cref="Rollback"/> restores an older definition; 0 after an agent restart until data is loaded.
    /// </summary>
    public long AgentDataVersion
    {
        get
        {
            lock (_stateLock)
            {
                return _versionFloor;
            }
        }
    }

    private static string DatabaseTimestamp(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        var subMillisecondTicks = utc.Ticks % TimeSpan.TicksPerMillisecond;
        if (subMillisecondTicks == 0)
        {
            var ms = value.ToUnixTimeMilliseconds();
            var microseconds = 500 + (int)(((ms % 500) + 500) % 500);
            return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture)
                   + (microseconds % 1000).ToString("000", CultureInfo.InvariantCulture) + "Z";
        }

        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary><c>updatedAt</c> in Unix ms: an ISO-8601 string truncated to the millisecond, or a number; 0 when missing.</summary>
    private static long UpdatedAtOf(JsonObject entity)
        => entity["updatedAt"] is JsonValue value && TryReadUpdatedAt(value, out var at) ? at.ToUnixTimeMilliseconds() : 0;

    private static bool TryReadUpdatedAt(JsonValue value, out DateTimeOffset at)
    {
        at = default;
        if (value.TryGetValue<string>(out var text))
        {
            return global::FeatureFlags.Model.Internal.UnixMillisecondsConverter.TryParse(text, out var ms) && TryParseExact(text, ms, out at);
        }

        if (value.TryGetValue<long>(out var number) && number is >= 0 and <= 253_402_300_799_999)
        {
            at = DateTimeOffset.FromUnixTimeMilliseconds(number);
            return true;
        }

        return false;
    }

    /// <summary>The parsed instant with its sub-millisecond digits when .NET can read them, else the millisecond.</summary>
    private static bool TryParseExact(string text, long ms, out DateTimeOffset at)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at)
            && at.ToUnixTimeMilliseconds() == ms)
        {
            return true;
        }

        at = default;
        if (ms is < -62_135_596_800_000 or > 253_402_300_799_999)
        {
            return false;
        }

        at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    private JsonObject OnTheWire(JsonObject entity, TimestampShape shape)
    {
        var clone = (JsonObject)entity.DeepClone();
        if (RealisticTimestamps && clone["updatedAt"] is JsonValue value && TryReadUpdatedAt(value, out var at))
        {
            clone["updatedAt"] = shape == TimestampShape.Reply ? DatabaseTimestamp(at) : PushTimestamp(at.ToUnixTimeMilliseconds());
        }

        return clone;
    }

    private string DataSyncMessage(string eventType, IEnumerable<JsonObject> flags, IEnumerable<JsonObject> segments, TimestampShape shape)
        => new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject
            {
                ["eventType"] = eventType,
                ["featureFlags"] = new JsonArray([.. flags.Select(f => OnTheWire(f, shape))]),
                ["segments"] = new JsonArray([.. segments.Select(s => OnTheWire(s, shape))]),
            },
        }.ToJsonString();

    /// <summary>The reply to a data-sync request: <c>full</c> for cursor 0, else a <c>patch</c> of entities strictly newer than the cursor.</summary>
    private string DataSyncReply(long cursor)
    {
        lock (_stateLock)
        {
            return cursor == 0
                ? DataSyncMessage("full", _flags.Values, _segments.Values, TimestampShape.Reply)
                : DataSyncMessage(
                    "patch",
                    _flags.Values.Where(f => UpdatedAtOf(f) > cursor),
                    _segments.Values.Where(s => UpdatedAtOf(s) > cursor),
                    TimestampShape.Reply);
        }
    }

    /// <summary>Under <see cref="_stateLock"/>.</summary>
    private long CurrentMaxVersion() => _flags.Values.Concat(_segments.Values).Select(UpdatedAtOf).DefaultIfEmpty(0).Max();

    /// <summary>Under <see cref="_stateLock"/>: the agent's data version follows the newest data, never going down.</summary>
    private void RaiseVersionFloor(long version) => _versionFloor = Math.Max(_versionFloor, version);
}
