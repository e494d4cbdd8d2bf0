namespace FeatureFlags.Telemetry.Internal;

/// <summary>
/// Attribute names and well-known values of the OpenTelemetry feature-flag semantic conventions (the
/// <c>feature_flag.evaluation</c> event), plus the SDK's own attribute names for sync metrics.
/// </summary>
internal static class SemanticConventions
{
    public const string EvaluationEventName = "feature_flag.evaluation";

    public const string FlagKey = "feature_flag.key";
    public const string ProviderName = "feature_flag.provider.name";
    public const string ResultVariant = "feature_flag.result.variant";
    public const string ResultReason = "feature_flag.result.reason";
    public const string ContextId = "feature_flag.context.id";
    public const string FlagVersion = "feature_flag.version";
    public const string ErrorType = "error.type";
    public const string ErrorMessage = "error.message";

    /// <summary>
    /// The <c>feature_flag.key</c> of every evaluation of a key that is not a live flag in the store evaluated against
    /// (unknown, archived, null, or asked before the store was ready). Keys come from callers, so recording them as
    /// given would let any caller create unbounded metric series; FeatBit flag keys never contain parentheses, so this
    /// value cannot be mistaken for a real flag.
    /// </summary>
    public const string UnknownFlagKey = "(unknown)";

    /// <summary>The SDK's own attribute: <c>full</c> or <c>patch</c>, the kind of data-sync message.</summary>
    public const string SyncType = "featureflags.sync.type";

    /// <summary>The SDK's own attribute: the transport (<c>streaming</c>, <c>polling</c>, or a plugged-in source's name).</summary>
    public const string Transport = "featureflags.sync.transport";

    /// <summary>The SDK's own attribute: how a poll ended (<c>committed</c>, <c>unchanged</c>, <c>invalid</c>, <c>failed</c>, <c>rejected</c>).</summary>
    public const string PollOutcome = "featureflags.sync.poll.outcome";

    /// <summary>The value of <c>feature_flag.provider.name</c>: the flag management system the values come from.</summary>
    public const string Provider = "FeatBit";

    /// <summary>The named client (<c>AddFeatureFlags("eu", ...)</c>) a measurement or evaluation event belongs to; absent for the default client.</summary>
    public const string Client = "featureflags.client";

    /// <summary>Well-known values of <c>feature_flag.result.reason</c>.</summary>
    public static class Reason
    {
        public const string Static = "static";
        public const string Default = "default";
        public const string TargetingMatch = "targeting_match";
        public const string Split = "split";
        public const string Disabled = "disabled";
        public const string Error = "error";
    }

    /// <summary>Values of <c>error.type</c> for evaluations (OpenFeature's error codes in snake case).</summary>
    public static class EvaluationError
    {
        public const string ProviderNotReady = "provider_not_ready";
        public const string FlagNotFound = "flag_not_found";
        public const string ParseError = "parse_error";
        public const string TypeMismatch = "type_mismatch";
        public const string TargetingKeyMissing = "targeting_key_missing";
        public const string General = "general";
    }
}
