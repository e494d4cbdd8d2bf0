namespace FeatureFlags.Sample;

/// <summary>The sample's own log lines.</summary>
internal static partial class SampleLog
{
    /// <summary>Logs which flags the sample serves: offline from its bootstrap file, or streamed from a server (never the secret).</summary>
    public static void Mode(ILogger logger, FeatureFlagsOptions options)
    {
        if (options.Offline)
        {
            Offline(logger, string.IsNullOrEmpty(options.BootstrapFile) ? "(no bootstrap file)" : options.BootstrapFile);
        }
        else
        {
            Streaming(logger, options.Streaming.Uri, options.Events.Uri);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Offline: serving the flags of {BootstrapFile}; nothing is sent to a server")]
    private static partial void Offline(ILogger logger, string bootstrapFile);

    [LoggerMessage(2, LogLevel.Information, "Streaming flags from {StreamingUri}, sending events to {EventUri}")]
    private static partial void Streaming(ILogger logger, Uri streamingUri, Uri eventUri);
}
