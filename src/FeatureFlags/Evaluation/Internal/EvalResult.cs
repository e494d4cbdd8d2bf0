using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The outcome of evaluating one flag: the variation (null on error), the kind of reason and the index of the rule that
/// matched (<see cref="Rule"/>; the reason's text is the flag's, <see cref="ReasonFor"/>), experiment inclusion, and
/// whether a percentage rollout chose the variation (<see cref="Split"/>: the served slice needed the user's bucket).
/// <see cref="Regex"/> tells a regex failure apart from broken data (for the client's logging only).
/// </summary>
/// <remarks>
/// 16 bytes with one reference, so that a call returns it in two registers: with the reason's text in it (a second
/// reference, 24 bytes) it went back through memory, each reference written with a GC write barrier, at every evaluation.
/// </remarks>
internal readonly struct EvalResult
{
    private readonly byte _kind;

    public EvalResult(CompiledVariation? variation, EvaluationReasonKind kind, int rule, bool sendToExperiment, bool split = false)
    {
        Variation = variation;
        _kind = (byte)kind;
        Rule = rule;
        SendToExperiment = sendToExperiment;
        Split = split;
    }

    public CompiledVariation? Variation { get; }

    public EvaluationReasonKind Kind => (EvaluationReasonKind)_kind;

    /// <summary>The index of the rule that matched when <see cref="Kind"/> is a rule match (its reason), else <see cref="NoRule"/>.</summary>
    public int Rule { get; }

    public bool SendToExperiment { get; init; }

    public bool Split { get; }

    public RegexOutcome Regex { get; init; }

    /// <summary><see cref="Rule"/> when no rule matched.</summary>
    public const int NoRule = -1;

    /// <summary>The reason's text of this outcome of <paramref name="flag"/> (<see cref="Reasons.Of"/>).</summary>
    public string ReasonFor(CompiledFlag flag) => Reasons.Of(Kind, flag, Rule);

    public static readonly EvalResult Malformed = new(null, EvaluationReasonKind.MalformedFlag, NoRule, false);

    /// <summary>A regex ran past its match timeout (the rule's breaker stays closed).</summary>
    public static readonly EvalResult RegexTimedOut = Malformed with { Regex = RegexOutcome.TimedOut };

    /// <summary>A regex ran past its match timeout and this timeout opened the rule's breaker.</summary>
    public static readonly EvalResult RegexBreakerTripped = Malformed with { Regex = RegexOutcome.BreakerTripped };

    /// <summary>The rule's breaker is open: the rule was not evaluated.</summary>
    public static readonly EvalResult RegexBreakerOpen = Malformed with { Regex = RegexOutcome.BreakerOpen };
}

/// <summary>
/// Where a batched evaluation of a flag stopped: the index of the rule that matched (or <see cref="Fallthrough"/>: none
/// did, or the flag was decided before its rules), and, at a percentage rollout that needs the user's bucket, the value
/// hashed after the flag key (empty otherwise).
/// </summary>
internal readonly record struct PendingRollout(int RuleIndex, string DispatchValue)
{
    /// <summary><see cref="RuleIndex"/> when no rule matched (the flag's fallthrough rollout): <see cref="EvalResult.NoRule"/>.</summary>
    public const int Fallthrough = EvalResult.NoRule;
}

/// <summary>What a regex did to an evaluation that returned <see cref="EvalResult.Malformed"/>.</summary>
internal enum RegexOutcome : byte
{
    None,
    TimedOut,
    BreakerTripped,
    BreakerOpen,
}

/// <summary>The official .NET SDK's reason texts.</summary>
internal static class Reasons
{
    public const string ClientNotReady = "client not ready";
    public const string FlagNotFound = "flag not found";
    public const string MalformedFlag = "malformed flag";
    public const string FlagOff = "flag off";
    public const string Overridden = "overridden locally";
    public const string TargetMatch = "target match";
    public const string Fallthrough = "fall through targets and rules";
    public const string WrongType = "type mismatch";
    public const string UserNotSpecified = "user not specified";
    public const string FlagKeyNotSpecified = "flag key not specified";
    public const string Exception = "evaluation error";

    /// <summary>
    /// The text the evaluator gives with <paramref name="kind"/> for <paramref name="flag"/>: each kind has one, but for
    /// the flag's own off reason and the reason of its rule <paramref name="rule"/> (a rule match).
    /// </summary>
    public static string Of(EvaluationReasonKind kind, CompiledFlag flag, int rule) => kind switch
    {
        EvaluationReasonKind.Off or EvaluationReasonKind.LocalOverride => flag.OffReason,
        EvaluationReasonKind.RuleMatch when (uint)rule < (uint)flag.Rules.Length => flag.Rules[rule].Reason,
        EvaluationReasonKind.TargetMatch => TargetMatch,
        EvaluationReasonKind.Fallthrough => Fallthrough,
        EvaluationReasonKind.MalformedFlag => MalformedFlag,
        EvaluationReasonKind.Error => Exception,
        _ => string.Empty, // not an evaluator's outcome
    };
}
