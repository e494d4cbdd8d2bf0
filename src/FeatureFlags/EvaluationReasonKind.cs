namespace FeatureFlags;

/// <summary>
/// Why an evaluation returned the value it did. Every outcome has its own kind, so code (and telemetry) never needs to
/// parse <see cref="EvaluationDetail{T}.Reason"/>, whose text stays the official FeatBit SDKs' (for example
/// <c>flag not found</c>, <c>match rule Beta users</c>).
/// </summary>
public enum EvaluationReasonKind
{
    /// <summary>No flag data has arrived yet: the caller's default was returned (reason <c>client not ready</c>).</summary>
    ClientNotReady,

    /// <summary>The flag is switched off: its off variation was returned (reason <c>flag off</c>).</summary>
    Off,

    /// <summary>No target or rule matched: the flag's default rule (fallthrough) chose the variation.</summary>
    Fallthrough,

    /// <summary>The user is individually targeted (reason <c>target match</c>).</summary>
    TargetMatch,

    /// <summary>A targeting rule matched; the reason text names it (<c>match rule &lt;name&gt;</c>).</summary>
    RuleMatch,

    /// <summary>The variation could not be converted to the requested type: the caller's default was returned (reason <c>type mismatch</c>).</summary>
    WrongType,

    /// <summary>
    /// Evaluation failed unexpectedly, or was called without a user or with a JSON type that cannot be read: the
    /// caller's default was returned (reasons <c>user not specified</c>, <c>evaluation error</c>).
    /// </summary>
    Error,

    /// <summary>The flag does not exist, is archived, or no key was given: the caller's default was returned (reason <c>flag not found</c>).</summary>
    FlagNotFound,

    /// <summary>
    /// The flag's data is broken (an invalid regex or list, a missing segment or variation) or a regular expression ran
    /// past its match timeout: the caller's default was returned (reason <c>malformed flag</c>).
    /// </summary>
    MalformedFlag,

    /// <summary>The value comes from a local override in configuration (<c>FeatureFlags:Overrides</c>), not from the flag server (reason <c>overridden locally</c>).</summary>
    LocalOverride,
}
