using System.Globalization;
using FeatureFlags.DataSystem;
using StackExchange.Redis;

namespace FeatureFlags.Redis.Internal;

/// <summary>
/// How an environment's flag data lives in Redis: one hash <c>{prefix}:{environment}</c> with the fields <c>data</c> (the
/// full state as of the last full write, as a FeatBit data-sync message), <c>p1</c>..<c>pN</c> (the patches written
/// since, in order, each a data-sync patch message), <c>patches</c> (N) and <c>patchBytes</c> (their total size),
/// <c>version</c> (the cursor of the data with its patches: the largest <c>updatedAt</c>), <c>savedAt</c> and
/// <c>confirmedAt</c> (Unix milliseconds on the writer's clock); and the pub/sub channel
/// <c>{prefix}:{environment}:changes</c>. Everything lives in one hash written by one script, and is read by one script
/// (<see cref="ReadAsync"/>), so a reader never sees the data of one write with the cursor of another.
/// </summary>
/// <remarks>
/// A change sends only its patch while Redis holds the version it starts from (<see cref="AppendScript"/>); a full
/// write (a full data set, a writer that is not in step, or the patches grown past <see cref="MaxPatches"/> or a quarter
/// of the data's size) replaces the data and drops the patches (<see cref="WriteScript"/>).
/// </remarks>
internal static class RedisLayout
{
    /// <summary>The most patches kept beside the data; the next change writes the whole state instead.</summary>
    public const int MaxPatches = 64;

    /// <summary><see cref="AppendScript"/>'s outcome when the patch cannot be appended and the whole state must be written.</summary>
    public const int NeedsFullWrite = 3;

    /// <summary>
    /// Reads data, cursor, confirmation time and the patches in one script. KEYS: hash.
    /// Returns {data, version, confirmedAt, patches, p1..pN} (data nil when nothing is stored).
    /// </summary>
    public const string ReadScript = """
        local r = redis.call('HMGET', KEYS[1], 'data', 'version', 'confirmedAt', 'patches')
        local n = tonumber(r[4] or '0') or 0
        for i = 1, n do r[4 + i] = redis.call('HGET', KEYS[1], 'p' .. i) end
        return r
        """;

    /// <summary>
    /// Writes a full state unless the store holds a newer version (a writer that is behind never overwrites newer data),
    /// drops the patches the old data had, then publishes the change: the patch itself when the store held exactly the
    /// version the patch starts from, else "full" (readers reload). The same version with the same data (and no patches)
    /// only refreshes <c>confirmedAt</c>.
    /// KEYS: hash, channel. ARGV: version, data, now (ms), base version ('' if none), patch JSON ('' if none).
    /// Returns {1, version} written, {0, stored} refused (stored is newer), {2, stored} unchanged (confirmed).
    /// </summary>
    public const string WriteScript = """
        local cur = redis.call('HGET', KEYS[1], 'version')
        local v = tonumber(ARGV[1])
        local n = tonumber(redis.call('HGET', KEYS[1], 'patches') or '0') or 0
        if cur then
          local c = tonumber(cur)
          if c > v then return {0, cur} end
          if c == v and n == 0 and redis.call('HGET', KEYS[1], 'data') == ARGV[2] then
            local conf = tonumber(redis.call('HGET', KEYS[1], 'confirmedAt') or '0')
            if tonumber(ARGV[3]) > conf then redis.call('HSET', KEYS[1], 'confirmedAt', ARGV[3]) end
            return {2, cur}
          end
        end
        for i = 1, n do redis.call('HDEL', KEYS[1], 'p' .. i) end
        redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', ARGV[1], 'savedAt', ARGV[3], 'confirmedAt', ARGV[3], 'patches', '0', 'patchBytes', '0')
        if ARGV[5] ~= '' and cur and cur == ARGV[4] then
          redis.call('PUBLISH', KEYS[2], ARGV[1] .. '\n' .. ARGV[4] .. '\n' .. ARGV[5])
        else
          redis.call('PUBLISH', KEYS[2], ARGV[1] .. '\nfull')
        end
        return {1, ARGV[1]}
        """;

    /// <summary>
    /// Appends a patch when the store holds exactly the version it starts from, and publishes it. Refuses (so the writer
    /// sends the whole state with <see cref="WriteScript"/>) when nothing is stored, the store holds another version, or
    /// the patches would pass <see cref="MaxPatches"/> or a quarter of the data's size (the next full write compacts them).
    /// KEYS: hash, channel. ARGV: version, patch JSON, now (ms), base version, max patches.
    /// Returns {1, version} appended, {0, stored} refused (stored is newer), {3, stored} a full write is needed.
    /// </summary>
    public const string AppendScript = """
        local cur = redis.call('HGET', KEYS[1], 'version')
        if not cur then return {3, -1} end
        local c = tonumber(cur)
        local v = tonumber(ARGV[1])
        if c > v then return {0, cur} end
        if c == v or cur ~= ARGV[4] then return {3, cur} end
        local n = (tonumber(redis.call('HGET', KEYS[1], 'patches') or '0') or 0) + 1
        local bytes = (tonumber(redis.call('HGET', KEYS[1], 'patchBytes') or '0') or 0) + string.len(ARGV[2])
        if n > tonumber(ARGV[5]) or bytes * 4 > redis.call('HSTRLEN', KEYS[1], 'data') then return {3, cur} end
        redis.call('HSET', KEYS[1], 'p' .. n, ARGV[2], 'patches', n, 'patchBytes', bytes, 'version', ARGV[1], 'savedAt', ARGV[3], 'confirmedAt', ARGV[3])
        redis.call('PUBLISH', KEYS[2], ARGV[1] .. '\n' .. ARGV[4] .. '\n' .. ARGV[2])
        return {1, ARGV[1]}
        """;

    /// <summary>
    /// What the hash holds, read with <see cref="ReadScript"/>: the data with its patches folded in, the cursor and the
    /// confirmation time; null when nothing is stored. Throws <see cref="System.Text.Json.JsonException"/> when the data
    /// or a patch is not a data-sync message.
    /// </summary>
    public static async Task<StoredState?> ReadAsync(IDatabase db, string key)
    {
        var values = (RedisValue[]?)await db.ScriptEvaluateAsync(ReadScript, [key]).ConfigureAwait(false);
        if (values is not { Length: >= 4 } || values[0].IsNull)
        {
            return null;
        }

        var data = FlagDataSet.Parse((byte[])values[0]!);
        FlagDataSet? patches = null;
        for (var i = 4; i < values.Length; i++)
        {
            var patch = values[i].IsNull
                ? throw new System.Text.Json.JsonException($"patch p{i - 3} of {values.Length - 4} is missing")
                : FlagDataSet.Parse((byte[])values[i]!);
            patches = patches is null ? patch : patches.WithChanges(patch);
        }

        if (patches is not null)
        {
            data = data.WithChanges(patches);
        }

        return new StoredState(data, values[1].TryParse(out long version) ? version : data.Version, ParseMilliseconds(values[2]));
    }

    /// <summary>
    /// A writer's periodic check: confirms the stored data when it is the writer's version (the writer's live source is
    /// in sync, so the data is current now). KEYS: hash. ARGV: version, now (ms), confirm ('1' or '0').
    /// Returns the stored version, or -1 when the key is missing (the store was flushed or restarted empty).
    /// </summary>
    public const string CheckScript = """
        local cur = redis.call('HGET', KEYS[1], 'version')
        if not cur then return -1 end
        if ARGV[3] == '1' and tonumber(cur) == tonumber(ARGV[1]) then
          local conf = tonumber(redis.call('HGET', KEYS[1], 'confirmedAt') or '0')
          if tonumber(ARGV[2]) > conf then redis.call('HSET', KEYS[1], 'confirmedAt', ARGV[2]) end
        end
        return tonumber(cur)
        """;

    public static string Milliseconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseMilliseconds(RedisValue value)
        => value.TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>A change message: <c>{version}\nfull</c>, or <c>{version}\n{base}\n{patch JSON}</c>.</summary>
    public static bool TryParseMessage(RedisValue message, out long version, out long? baseVersion, out ReadOnlyMemory<byte> patch)
    {
        version = 0;
        baseVersion = null;
        patch = default;
        ReadOnlyMemory<byte> bytes = (byte[]?)message ?? [];
        var span = bytes.Span;
        var first = span.IndexOf((byte)'\n');
        if (first < 0 || !long.TryParse(span[..first], NumberStyles.None, CultureInfo.InvariantCulture, out version))
        {
            return false;
        }

        var rest = span[(first + 1)..];
        if (rest.SequenceEqual("full"u8))
        {
            return true;
        }

        var second = rest.IndexOf((byte)'\n');
        if (second < 0 || !long.TryParse(rest[..second], NumberStyles.None, CultureInfo.InvariantCulture, out var b))
        {
            return false;
        }

        baseVersion = b;
        patch = bytes[(first + 1 + second + 1)..];
        return true;
    }

    public static string Describe(FlagDataSet data) => string.Create(CultureInfo.InvariantCulture, $"{data.FlagCount} flags, {data.SegmentCount} segments, version {data.Version}");
}

/// <summary>An environment's state as Redis holds it (<see cref="RedisLayout.ReadAsync"/>).</summary>
/// <param name="Data">The full state: the data with the patches written since folded in.</param>
/// <param name="Version">The stored cursor.</param>
/// <param name="ConfirmedAt">When a live source last confirmed the state, on the writer's clock; null if never.</param>
internal sealed record StoredState(FlagDataSet Data, long Version, DateTimeOffset? ConfirmedAt);
