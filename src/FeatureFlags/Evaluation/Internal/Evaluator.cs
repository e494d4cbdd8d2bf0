using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// Evaluates compiled flags exactly as the official FeatBit SDKs do : off, individual targets, rules in
/// order, fallthrough. Pure: no I/O, no locks, no allocation; broken data yields <see cref="EvalResult.Malformed"/>.
/// The one piece of state it touches is a rule's <see cref="RegexBreaker"/>, and only after a regex match timeout or
/// while the breaker is open (a closed breaker costs one volatile read).
/// </summary>
internal static partial class Evaluator
{
    private const string ExperimentPrefix = "expt";

    public static EvalResult Evaluate(CompiledFlag flag, FlagUser user, bool strictMissingAttributes)
    {
        var result = Select(flag, user, strictMissingAttributes, ref Unsafe.NullRef<SegmentMemo>(), out var rollout, out _);
        return rollout is null
            ? result
            : Dispatch(flag, rollout, result.Kind, result.Rule, DispatchValue(rollout, user), withExperiment: true);
    }

    /// <summary>
    /// The first half of a batched evaluation (all flags for one user): evaluates <paramref name="flag"/> up to the
    /// point where it needs the user's bucket. Returns true with the <paramref name="result"/> when no hash is needed,
    /// else false with the rollout to finish (<see cref="FinishWithBucket"/>) once the bucket's digest word of
    /// <see cref="CompiledFlag.Key"/> + <see cref="PendingRollout.DispatchValue"/> is known. Either way
    /// <paramref name="pending"/> names the rule that matched. Experiment inclusion is not computed (false): the batched
    /// callers do not record events.
    /// </summary>
    public static bool TryEvaluateWithoutBucket(
        CompiledFlag flag, FlagUser user, bool strictMissingAttributes, ref SegmentMemo segments, out EvalResult result, out PendingRollout pending)
    {
        result = Select(flag, user, strictMissingAttributes, ref segments, out var rollout, out var ruleIndex);
        if (rollout is null)
        {
            pending = new PendingRollout(ruleIndex, string.Empty);
            return true;
        }

        if (rollout.FixedSlice == CompiledRollout.NeedsBucket)
        {
            pending = new PendingRollout(ruleIndex, DispatchValue(rollout, user));
            return false;
        }

        // Decided without the bucket (a fixed slice, or none): the dispatch value is read only to hash, for the bucket
        // or the experiment, and neither happens here.
        pending = new PendingRollout(ruleIndex, string.Empty);
        result = rollout.FixedSlice >= 0
            ? FixedSliceResult(rollout, result.Kind, result.Rule) // the common case, without a call
            : Dispatch(flag, rollout, result.Kind, result.Rule, dispatchValue: string.Empty, withExperiment: false);
        return true;
    }

    /// <summary>
    /// The second half of a batched evaluation: the variation the rollout of <paramref name="ruleIndex"/> (a
    /// <see cref="PendingRollout.RuleIndex"/>) serves for the bucket whose digest word is <paramref name="bucketWord"/>
    /// (<see cref="Bucketing.GetFirstWord(CompiledFlag, string)"/>).
    /// </summary>
    public static EvalResult FinishWithBucket(CompiledFlag flag, int ruleIndex, int bucketWord)
    {
        // The rollout needs the bucket (it was queued for it), so the walk is all that is left of Dispatch; the
        // experiment is not computed here.
        if (ruleIndex == PendingRollout.Fallthrough)
        {
            return SliceResult(flag.Fallthrough, EvaluationReasonKind.Fallthrough, EvalResult.NoRule, bucketWord, out _);
        }

        return SliceResult(flag.Rules[ruleIndex].Rollout, EvaluationReasonKind.RuleMatch, ruleIndex, bucketWord, out _);
    }

    /// <summary>
    /// Off, individual targets and rules, in order: returns the result when they decide it, else sets
    /// <paramref name="rollout"/> to the rollout that does (a matched rule's or the fallthrough, as
    /// <paramref name="ruleIndex"/> tells) and returns its reason.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // one call for a single evaluation, as before the batched path split it out
    private static EvalResult Select(
        CompiledFlag flag, FlagUser user, bool strictMissingAttributes, ref SegmentMemo segments, out CompiledRollout? rollout, out int ruleIndex)
    {
        rollout = null;
        ruleIndex = PendingRollout.Fallthrough;
        if (!flag.IsEnabled)
        {
            return flag.DisabledVariation is null
                ? EvalResult.Malformed
                : new EvalResult(flag.DisabledVariation, flag.OffKind, EvalResult.NoRule, false);
        }

        if (flag.Targets.Count > 0 && flag.Targets.TryGetValue(user.Key, out var targeted))
        {
            return targeted is null
                ? EvalResult.Malformed
                : new EvalResult(targeted, EvaluationReasonKind.TargetMatch, EvalResult.NoRule, flag.ExptIncludeAllTargets);
        }

        var rules = flag.Rules;
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            if (rule.Breaker is { IsOpen: true } breaker && !breaker.TryClose())
            {
                return EvalResult.RegexBreakerOpen;
            }

            var match = MatchAll(rule.Conditions, user, strictMissingAttributes, ref segments);
            if (match == Match.Error)
            {
                return EvalResult.Malformed;
            }

            if (match == Match.Timeout)
            {
                return rule.Breaker?.RecordTimeout() == true ? EvalResult.RegexBreakerTripped : EvalResult.RegexTimedOut;
            }

            if (match == Match.Yes)
            {
                rollout = rule.Rollout;
                ruleIndex = i;
                return new EvalResult(null, EvaluationReasonKind.RuleMatch, i, false);
            }
        }

        rollout = flag.Fallthrough;
        return new EvalResult(null, EvaluationReasonKind.Fallthrough, EvalResult.NoRule, false);
    }

    /// <summary>The value hashed with the flag key: the user key, or the rollout's dispatch attribute ("" when missing).</summary>
    private static string DispatchValue(CompiledRollout rollout, FlagUser user)
        => rollout.DispatchKey is null
            ? user.Key
            : user.TryGetAttribute(rollout.DispatchKey, out var v) ? v : string.Empty;

    /// <summary>
    /// The first slice holding the user's bucket, hashed only when the rollout needs it. With
    /// <paramref name="withExperiment"/> false, experiment inclusion (a second hash) is left false.
    /// </summary>
    private static EvalResult Dispatch(
        CompiledFlag flag, CompiledRollout rollout, EvaluationReasonKind kind, int rule, string dispatchValue, bool withExperiment)
    {
        if (rollout.FixedSlice >= 0)
        {
            var fixedResult = FixedSliceResult(rollout, kind, rule);
            return withExperiment && fixedResult.Variation is not null
                ? fixedResult with { SendToExperiment = SendToExperiment(flag, rollout, rollout.Slices[rollout.FixedSlice], dispatchValue) }
                : fixedResult;
        }

        // The first slice that decides needs the bucket, so it is hashed before the walk; else (no slice holds any bucket)
        // the walk never reads it.
        var bucketWord = rollout.FixedSlice == CompiledRollout.NeedsBucket ? Bucketing.GetFirstWord(flag, dispatchValue) : 0;
        var result = SliceResult(rollout, kind, rule, bucketWord, out var slice);
        return withExperiment && result.Variation is not null
            ? result with { SendToExperiment = SendToExperiment(flag, rollout, rollout.Slices[slice], dispatchValue) }
            : result;
    }

    /// <summary>
    /// The walk of <see cref="Dispatch"/>: the first valid slice holding the bucket whose digest word is
    /// <paramref name="bucketWord"/> (a slice that includes everyone or no one does not read it), with its index; malformed
    /// when its variation is dangling or when no slice holds the bucket (later rules are not tried, as in the official
    /// SDKs). Experiment inclusion is left false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static EvalResult SliceResult(CompiledRollout rollout, EvaluationReasonKind kind, int rule, int bucketWord, out int index)
    {
        var slices = rollout.Slices;
        if (rollout.IsPartition)
        {
            // A 50/50 split takes either slice half the time: a branch on the bucket would be mispredicted as often.
            index = PartitionSlice(slices, Bucketing.ToUnits(bucketWord));
            var variation = slices[index].Variation;
            return variation is null ? EvalResult.Malformed : new EvalResult(variation, kind, rule, false, split: true);
        }

        var bucket = Bucketing.ToBucket(bucketWord);
        for (var i = 0; i < slices.Length; i++)
        {
            ref readonly var slice = ref slices[i];
            if (!slice.IsValid)
            {
                continue;
            }

            var split = Bucketing.RequiresHash(slice.Min, slice.Max);
            if (!Bucketing.IsInRolloutBucket(split ? bucket : 0, slice.Min, slice.Max))
            {
                continue;
            }

            index = i;
            return slice.Variation is null ? EvalResult.Malformed : new EvalResult(slice.Variation, kind, rule, false, split);
        }

        index = -1;
        return EvalResult.Malformed;
    }

    /// <summary>
    /// The slice of a <see cref="CompiledRollout.IsPartition"/> rollout holding the bucket of <paramref name="bucketUnits"/>
    /// (<see cref="Bucketing.ToUnits"/>): the number of slices before the last that end below it (they end in increasing
    /// order), counted without a branch on the bucket, in whole units (<see cref="RolloutSlice.MaxUnits"/>): the same
    /// answer as comparing the bucket with each end, without converting the digest word to a double first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PartitionSlice(RolloutSlice[] slices, uint bucketUnits)
    {
        var index = 0;
        for (var i = 0; i < slices.Length - 1; i++)
        {
            index += slices[i].MaxUnits < bucketUnits ? 1 : 0;
        }

        return index;
    }

    /// <summary>
    /// The usual 100 % rollout (<see cref="CompiledRollout.FixedSlice"/> at least 0), decided when it was compiled: the same
    /// slice <see cref="Dispatch"/>'s walk would find; experiment inclusion left false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static EvalResult FixedSliceResult(CompiledRollout rollout, EvaluationReasonKind kind, int rule)
    {
        var variation = rollout.Slices[rollout.FixedSlice].Variation;
        return variation is null ? EvalResult.Malformed : new EvalResult(variation, kind, rule, false);
    }

    private static bool SendToExperiment(CompiledFlag flag, CompiledRollout rollout, in RolloutSlice slice, string dispatchValue)
    {
        if (flag.ExptIncludeAllTargets)
        {
            return true;
        }

        if (!rollout.IncludedInExpt || slice.ExperimentUpper == 0)
        {
            return false;
        }

        return Bucketing.IsInRollout(0, slice.ExperimentUpper, ExperimentPrefix, flag.Key, dispatchValue);
    }

    internal enum Match : byte
    {
        No,
        Yes,
        Error,

        /// <summary>A regex ran past its match timeout (an error, counted by the rule's breaker).</summary>
        Timeout,
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a loop around one call: inlined, a rule costs one call less
    private static Match MatchAll(CompiledCondition[] conditions, FlagUser user, bool strict, ref SegmentMemo segments)
    {
        foreach (var condition in conditions)
        {
            var m = MatchCondition(condition, user, strict, ref segments);
            if (m != Match.Yes)
            {
                return m;
            }
        }

        return Match.Yes;
    }

    private static Match MatchCondition(CompiledCondition c, FlagUser user, bool strict, ref SegmentMemo segments)
    {
        switch (c.Kind)
        {
            case ConditionKind.Broken:
                return Match.Error;
            case ConditionKind.Never:
                return Match.No;
            case ConditionKind.InSegment:
                return InAnySegment(c.Segments!, user, strict, ref segments);
            case ConditionKind.NotInSegment:
                return InAnySegment(c.Segments!, user, strict, ref segments) switch
                {
                    Match.Yes => Match.No,
                    Match.No => Match.Yes,
                    var error => error,
                };
        }

        if (!user.TryGetAttribute(c.BuiltIn, c.Property, out var value))
        {
            // Missing attribute: "" as the official .NET SDK and the server do; in strict mode nothing matches.
            if (strict)
            {
                return Match.No;
            }

            value = string.Empty;
        }

        // Only a regex can run past its timeout; its exception region stays out of this method, which can then inline.
        if (c.Kind is ConditionKind.MatchRegex or ConditionKind.NotMatchRegex)
        {
            return MatchRegex(c, value);
        }

        return IsMatch(c, value) ? Match.Yes : Match.No;
    }

    private static Match MatchRegex(CompiledCondition c, string value)
    {
        try
        {
            return c.Regex!.IsMatch(value) == (c.Kind == ConditionKind.MatchRegex) ? Match.Yes : Match.No;
        }
        catch (RegexMatchTimeoutException)
        {
            return Match.Timeout;
        }
    }

    // Every operator but the regex ones (MatchRegex).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsMatch(CompiledCondition c, string value) => c.Kind switch
    {
        ConditionKind.Equal => string.Equals(value, c.Operand, StringComparison.Ordinal),
        ConditionKind.NotEqual => !string.Equals(value, c.Operand, StringComparison.Ordinal),
        ConditionKind.Contains => value.Contains(c.Operand, StringComparison.Ordinal),
        ConditionKind.NotContain => !value.Contains(c.Operand, StringComparison.Ordinal),
        ConditionKind.StartsWith => value.StartsWith(c.Operand, StringComparison.Ordinal),
        ConditionKind.EndsWith => value.EndsWith(c.Operand, StringComparison.Ordinal),
        ConditionKind.IsOneOf => c.Set!.Contains(value),
        ConditionKind.NotOneOf => !c.Set!.Contains(value),
        ConditionKind.IsTrue => value.Equals("TRUE", StringComparison.OrdinalIgnoreCase),
        ConditionKind.IsFalse => value.Equals("FALSE", StringComparison.OrdinalIgnoreCase),
        ConditionKind.LessThan => TryNumber(value, out var n) && !double.IsNaN(c.Number) && n < c.Number,
        ConditionKind.LessEqualThan => TryNumber(value, out var n) && !double.IsNaN(c.Number) && n <= c.Number,
        ConditionKind.BiggerThan => TryNumber(value, out var n) && !double.IsNaN(c.Number) && n > c.Number,
        ConditionKind.BiggerEqualThan => TryNumber(value, out var n) && !double.IsNaN(c.Number) && n >= c.Number,
        _ => false,
    };

    private static bool TryNumber(string value, out double number)
        => double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number)
           && double.IsFinite(number);
}
