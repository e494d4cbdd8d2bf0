namespace FeatureFlags.Redis;

/// <summary>What an instance does with the shared Redis store (<c>FeatureFlags:Redis:Mode</c>).</summary>
public enum RedisStoreMode
{
    /// <summary>
    /// Syncs from FeatBit as usual and writes every commit to Redis behind the sync loop; starts from Redis when FeatBit
    /// is slow or unreachable, and resumes with a patch when the stored data is recent.
    /// </summary>
    Writer = 0,

    /// <summary>
    /// Read-only: opens no connection to FeatBit for flag data, builds its snapshot from Redis and follows the writers'
    /// changes through pub/sub, with a periodic version check.
    /// </summary>
    Daemon = 1,
}
