using System.Buffers;
using System.Text.Json;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.DataSystem;

/// <summary>
/// Flags and segments in FeatBit's data model, parsed and ready to commit: what every data source hands to the data
/// system (<see cref="IFlagDataSourceUpdates.Apply"/>) and what a persistent store keeps.
/// </summary>
/// <remarks>
/// <para>
/// A <em>full</em> data set is the whole environment: committing it replaces everything, so flags it lacks are
/// deleted and older versions it carries replace newer ones (that is how a rollback reaches the SDK). A <em>patch</em>
/// upserts by version: an entity is applied only when its <c>updatedAt</c> is newer than the one held, so a patch can
/// never move a flag back. Archived entities are tombstones that block older updates.
/// </para>
/// <para>
/// The JSON is FeatBit's <c>data-sync</c> payload, either the whole message
/// (<c>{"messageType":"data-sync","data":{"eventType":"full","featureFlags":[...],"segments":[...]}}</c>, as the
/// server pushes it and <c>/api/public/sdk/server/latest-all</c> returns it) or its <c>data</c> object. Entities that
/// cannot be read are skipped and counted (<see cref="InvalidCount"/>); the rest is kept. Immutable and thread-safe.
/// </para>
/// </remarks>
public sealed class FlagDataSet
{
    private FlagDataSet(DataSyncPayloadDto payload)
    {
        Payload = payload;
        IsFull = string.Equals(payload.EventType, "full", StringComparison.OrdinalIgnoreCase);
        var flags = payload.FeatureFlags?.Items ?? [];
        var segments = payload.Segments?.Items ?? [];
        long version = 0;
        foreach (var flag in flags)
        {
            version = Math.Max(version, flag.UpdatedAt);
        }

        foreach (var segment in segments)
        {
            version = Math.Max(version, segment.UpdatedAt);
        }

        Version = version;
        FlagCount = flags.Count;
        SegmentCount = segments.Count;
        InvalidCount = (payload.FeatureFlags?.Errors.Count ?? 0) + (payload.Segments?.Errors.Count ?? 0);
    }

    /// <summary>Gets whether this is a full data set (replaces everything) rather than a patch (upserts by version).</summary>
    public bool IsFull { get; }

    /// <summary>Gets the largest <c>updatedAt</c> (Unix milliseconds) in the set, archived entities included; 0 when empty.</summary>
    public long Version { get; }

    /// <summary>Gets the number of flags in the set, archived ones included.</summary>
    public int FlagCount { get; }

    /// <summary>Gets the number of segments in the set, archived ones included.</summary>
    public int SegmentCount { get; }

    /// <summary>Gets the number of entities that could not be read and were skipped.</summary>
    public int InvalidCount { get; }

    internal DataSyncPayloadDto Payload { get; }

    /// <summary>Parses FeatBit <c>data-sync</c> JSON (the whole message or its <c>data</c> object).</summary>
    /// <param name="utf8Json">The JSON, UTF-8 encoded.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="JsonException">The text is not UTF-8, or the JSON is malformed or not a data-sync payload.</exception>
    public static FlagDataSet Parse(ReadOnlySpan<byte> utf8Json) => new(WireJson.ReadDataSync(utf8Json));

    /// <summary>Parses FeatBit <c>data-sync</c> JSON (the whole message or its <c>data</c> object).</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The data set.</returns>
    /// <exception cref="JsonException">The JSON is malformed or not a data-sync payload.</exception>
    public static FlagDataSet Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new(WireJson.ReadDataSync(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>Writes the set as a FeatBit <c>data-sync</c> message, the form <see cref="Parse(ReadOnlySpan{byte})"/> reads.</summary>
    /// <returns>The UTF-8 JSON.</returns>
    public byte[] ToUtf8Json()
        => JsonSerializer.SerializeToUtf8Bytes(Message(), WireJsonContext.Default.DataSyncMessageDto);

    /// <summary>
    /// Writes the same UTF-8 JSON as <see cref="ToUtf8Json"/> into <paramref name="destination"/>: a pooled or streaming
    /// buffer, so a large set is not copied into an array of its size (one on the large-object heap from 85,000 bytes).
    /// </summary>
    /// <param name="destination">Where the JSON is written; it is advanced by the JSON's length.</param>
    public void WriteUtf8Json(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination);
        JsonSerializer.Serialize(writer, Message(), WireJsonContext.Default.DataSyncMessageDto);
    }

    private DataSyncMessageDto Message() => new() { MessageType = "data-sync", Data = Payload };

    /// <summary>
    /// Gets what committing <paramref name="next"/> after this set gives: <paramref name="next"/> itself when it is full;
    /// otherwise a set of this set's kind (full or patch) with <paramref name="next"/>'s entities upserted by version (an
    /// entity replaces the one with the same key only when its <c>updatedAt</c> is newer), the rule the data system
    /// applies to a patch. A persistent store uses it to keep the current full state, or to fold pending patches into one.
    /// </summary>
    /// <param name="next">The set committed after this one.</param>
    /// <returns>The combined set; this set and <paramref name="next"/> are unchanged.</returns>
    public FlagDataSet WithChanges(FlagDataSet next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (next.IsFull)
        {
            return next;
        }

        var flags = Upsert(Payload.FeatureFlags?.Items, next.Payload.FeatureFlags?.Items, static f => f.Key, static f => f.UpdatedAt);
        var segments = Upsert(Payload.Segments?.Items, next.Payload.Segments?.Items, static s => s.Id, static s => s.UpdatedAt);
        var payload = new DataSyncPayloadDto { EventType = IsFull ? "full" : "patch", FeatureFlags = new(), Segments = new() };
        payload.FeatureFlags.Items.AddRange(flags);
        payload.Segments.Items.AddRange(segments);
        return new(payload);
    }

    private static IEnumerable<T> Upsert<T>(List<T>? current, List<T>? changes, Func<T, string?> keyOf, Func<T, long> versionOf)
        where T : class
    {
        var merged = new Dictionary<string, T>(StringComparer.Ordinal);
        var keyless = new List<T>();
        foreach (var list in (ReadOnlySpan<List<T>?>)[current, changes])
        {
            foreach (var item in list ?? [])
            {
                if (keyOf(item) is not { } key)
                {
                    keyless.Add(item);
                }
                else if (!merged.TryGetValue(key, out var held) || versionOf(held) < versionOf(item))
                {
                    merged[key] = item;
                }
            }
        }

        return keyless.Count == 0 ? merged.Values : merged.Values.Concat(keyless);
    }

    /// <summary>Wraps a payload already read (and, for a WebSocket message, already known to be UTF-8).</summary>
    internal static FlagDataSet From(DataSyncPayloadDto payload) => new(payload);
}
