using System.Globalization;
using FeatureFlags.DataSystem;
using StackExchange.Redis;

namespace FeatureFlags.Redis.Internal;

/// <summary>
/// How an environment's flag data lives in Redis: one hash <c>{prefix}:{environment}</c> with the fields <c>data</c> (the
/// full state as a FeatBit data-sync message), <c>version</c> (its cursor: the largest <c>updatedAt</c>),
/// <c>savedAt</c> and <c>confirmedAt</c> (Unix milliseconds on the writer's clock); and the pub/sub channel
/// <c>{prefix}:{environment}:changes</c>. Data and cursor live in one hash written by one script, so a reader (one
/// <c>HMGET</c>) never sees the data of one write with the cursor of another.
/// </summary>
internal static class RedisLayout
{
    public static readonly RedisValue[] ReadFields = ["data", "version", "confirmedAt"];

    /// <summary>
    /// Writes a full state unless the store holds a newer version (a writer that is behind never overwrites newer data),
    /// then publishes the change: the patch itself when the store held exactly the version the patch starts from, else
    /// "full" (readers reload). The same version with the same data only refreshes <c>confirmedAt</c>.
    /// KEYS: hash, channel. ARGV: version, data, now (ms), base version ('' if none), patch JSON ('' if none).
    /// Returns {1, version} written, {0, stored} refused (stored is newer), {2, stored} unchanged (confirmed).
    /// </summary>
    public const string WriteScript = """
        local cur = redis.call('HGET', KEYS[1], 'version')
        local v = tonumber(ARGV[1])
        if cur then
          local c = tonumber(cur)
          if c > v then return {0, cur} end
          if c == v and redis.call('HGET', KEYS[1], 'data') == ARGV[2] then
            local conf = tonumber(redis.call('HGET', KEYS[1], 'confirmedAt') or '0')
            if tonumber(ARGV[3]) > conf then redis.call('HSET', KEYS[1], 'confirmedAt', ARGV[3]) end
            return {2, cur}
          end
        end
        redis.call('HSET', KEYS[1], 'data', ARGV[2], 'version', ARGV[1], 'savedAt', ARGV[3], 'confirmedAt', ARGV[3])
        if ARGV[5] ~= '' and cur and cur == ARGV[4] then
          redis.call('PUBLISH', KEYS[2], ARGV[1] .. '\n' .. ARGV[4] .. '\n' .. ARGV[5])
        else
          redis.call('PUBLISH', KEYS[2], ARGV[1] .. '\nfull')
        end
        return {1, ARGV[1]}
        """;

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
