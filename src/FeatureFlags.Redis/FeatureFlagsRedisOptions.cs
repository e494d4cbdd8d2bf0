namespace FeatureFlags.Redis;

/// <summary>
/// Options of the shared Redis flag store, bound from <c>FeatureFlags:Redis</c> and validated when the host starts (a
/// missing connection string or an unknown key fails startup, naming the key).
/// </summary>
/// <remarks>See docs/scale.md for the topologies and docs/configuration.md for every key.</remarks>
public sealed class FeatureFlagsRedisOptions
{
    /// <summary>The configuration section the options bind from: <c>FeatureFlags:Redis</c>.</summary>
    public const string SectionName = "FeatureFlags:Redis";

    /// <summary>
    /// Gets or sets the StackExchange.Redis connection string (<c>host:6379,password=...,ssl=true</c>). Required. It is
    /// never logged: logs name the endpoints only.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Gets or sets the prefix of every key and channel the store uses (<c>{prefix}:{environment}</c>); default
    /// <c>featureflags</c>. Writers and daemons of one fleet must use the same prefix.
    /// </summary>
    public string KeyPrefix { get; set; } = "featureflags";

    /// <summary>Gets or sets whether this instance writes to Redis (syncing from FeatBit) or only reads from it; default <see cref="RedisStoreMode.Writer"/>.</summary>
    public RedisStoreMode Mode { get; set; } = RedisStoreMode.Writer;

    /// <summary>
    /// Gets or sets how often the stored version is checked (default 30 s): a daemon reloads when it missed a change
    /// message, a writer repopulates a flushed store and confirms current data so cold starts can resume from it.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the longest a writer's start waits for Redis before it goes on without the stored data (default
    /// 2 s); the client's start waits for this load before its live source connects.
    /// </summary>
    public TimeSpan LoadTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
