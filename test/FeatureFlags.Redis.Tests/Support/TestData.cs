using System.Text.Json.Nodes;
using FeatureFlags.DataSystem;
using FeatureFlags.Redis.Internal;
using FeatureFlags.Tests.Support;
using StackExchange.Redis;
using Xunit;

namespace FeatureFlags.Redis.Tests.Support;

/// <summary>Flag data sets and Redis reads for the tests.</summary>
internal static class TestData
{
    public const long T0 = 1_700_000_000_000;

    public static FlagDataSet Full(params (string Key, bool Value, long Version)[] flags) => Set("full", flags);

    public static FlagDataSet Patch(params (string Key, bool Value, long Version)[] flags) => Set("patch", flags);

    /// <summary>A full set of <paramref name="count"/> flags <c>f0..</c>, all at <paramref name="version"/> with <paramref name="value"/>.</summary>
    public static FlagDataSet Many(int count, long version, bool value)
        => Full([.. Enumerable.Range(0, count).Select(i => ($"f{i}", value, version))]);

    public static string Json(string eventType, params (string Key, bool Value, long Version)[] flags)
    {
        var array = new JsonArray();
        foreach (var (key, value, version) in flags)
        {
            array.Add(FakeFeatBitServer.BoolFlag(key, value, version));
        }

        return new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject { ["eventType"] = eventType, ["featureFlags"] = array, ["segments"] = new JsonArray() },
        }.ToJsonString();
    }

    public static string Key(string secret = FakeFeatBitServer.DefaultSecret, string prefix = "featureflags") => $"{prefix}:{EnvironmentIdentity.Of(secret)}";

    /// <summary>
    /// What Redis holds for the environment, read as daemons and cold starts read it (data, patches and cursor in one
    /// script); null when missing.
    /// </summary>
    public static async Task<(FlagDataSet Data, long Version, long ConfirmedAt)?> ReadAsync(IDatabase db, string key)
        => await RedisLayout.ReadAsync(db, key) is { } stored
            ? (stored.Data, stored.Version, stored.ConfirmedAt?.ToUnixTimeMilliseconds() ?? 0)
            : null;

    /// <summary>Waits (bounded) until Redis holds <paramref name="version"/> for the environment.</summary>
    public static async Task WaitForStoredVersionAsync(IDatabase db, string key, long version)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        long? last = null;
        while (deadline.Elapsed < Instance.EventTimeout)
        {
            try
            {
                var stored = await db.HashGetAsync(key, "version");
                last = stored.IsNull ? null : (long)stored;
                if (last == version)
                {
                    return;
                }
            }
            catch (RedisException)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
        }

        Assert.Fail($"Redis never held version {version} under {key} (last: {last?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})");
    }

    private static FlagDataSet Set(string eventType, (string Key, bool Value, long Version)[] flags) => FlagDataSet.Parse(Json(eventType, flags));
}
