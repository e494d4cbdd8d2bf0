namespace FeatureFlags.DataSystem;

/// <summary>The names of the SDK's transports, as <see cref="FeatureFlagsStatus.DataSource"/> and the <c>featureflags.sync.transport</c> metric dimension show them.</summary>
public static class FlagDataSourceNames
{
    /// <summary>The FeatBit WebSocket stream.</summary>
    public const string Streaming = "streaming";

    /// <summary>FeatBit HTTP polling (<c>latest-all</c>).</summary>
    public const string Polling = "polling";

    /// <summary>The bootstrap file of an offline client.</summary>
    public const string BootstrapFile = "bootstrap-file";

    /// <summary>A shared Redis store read by a read-only (daemon) client (the FeatureFlags.Redis package).</summary>
    public const string Redis = "redis";
}
