namespace FeatureFlags;

/// <summary>Why an evaluation returned the value it did (the official FeatBit .NET SDK's reason kinds).</summary>
public enum EvaluationReasonKind
{
    /// <summary>No flag data has arrived yet: the caller's default was returned.</summary>
    ClientNotReady,

    /// <summary>The flag is switched off: its off variation was returned.</summary>
    Off,

    /// <summary>No target or rule matched: the flag's default rule (fallthrough) chose the variation.</summary>
    Fallthrough,

    /// <summary>The user is individually targeted.</summary>
    TargetMatch,

    /// <summary>A targeting rule matched; the reason text names it.</summary>
    RuleMatch,

    /// <summary>The variation could not be converted to the requested type: the caller's default was returned.</summary>
    WrongType,

    /// <summary>The flag was not found, is archived or its data is broken: the caller's default was returned.</summary>
    Error,
}
