using System.Runtime.CompilerServices;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

// All flags for one user, batched: each flag is evaluated up to the point where it needs the user's bucket; those
// rollouts are queued in a BucketBatch and hashed sixteen at a time with a multi-buffer MD5, then finished.
internal sealed partial class FeatureFlagClient
{
    /// <summary>Evaluates every live flag of a snapshot; one failing flag is reported for itself only.</summary>
    internal AllFlagsState GetAllFlags(FlagSnapshot snapshot, FlagUser user) => GetAllFlags(snapshot, user, Md5MultiBuffer.BestKernel);

    /// <summary>
    /// <see cref="GetAllFlags(FlagSnapshot, FlagUser)"/> hashing with <paramref name="kernel"/> (tests force each kernel;
    /// every kernel gives the same results).
    /// </summary>
    [SkipLocalsInit] // the batch (1.2 KB, no references) is written before it is read
    internal AllFlagsState GetAllFlags(FlagSnapshot snapshot, FlagUser user, Md5Kernel kernel)
    {
        if (user is null)
        {
            return new AllFlagsState(false, Reasons.UserNotSpecified, default);
        }

        if (!snapshot.IsInitialized)
        {
            _startWatch?.ReportNotReady();
            return new AllFlagsState(false, Reasons.ClientNotReady, default);
        }

        var flags = snapshot.LiveFlags;
        var entries = new AllFlagsEntry[flags.Length];
        Unsafe.SkipInit(out BucketBatch batch);
        batch.Clear();
        var segments = default(Evaluator.SegmentMemo);

        // One exception region for the whole loop (a try per flag would keep the evaluator out of line): a flag that
        // throws is reported with an error entry and the loop resumes after it. Finishing a batch guards each lane itself.
        var cursor = 0;
        while (true)
        {
            try
            {
                EvaluateFrom(ref cursor, flags, user, entries, ref batch, ref segments, kernel);
                break;
            }
            catch (Exception e)
            {
                entries[cursor] = new AllFlagsEntry(Failed(flags[cursor], e), PendingRollout.Fallthrough);
                cursor++;
            }
        }

        if (batch.Count > 0)
        {
            Finish(ref batch, flags, entries, kernel);
        }

        return new AllFlagsState(true, "ok", new AllFlagsEntries(snapshot.LiveKeys, flags, entries));
    }

    /// <summary>
    /// Evaluates <paramref name="flags"/> from <paramref name="cursor"/> to the end into <paramref name="entries"/>,
    /// queuing the rollouts that need a bucket; on a throw, <paramref name="cursor"/> is the flag that threw.
    /// </summary>
    /// <remarks>
    /// The loop counts in a local and only stores it to <paramref name="cursor"/>: the cursor is read by the caller's
    /// exception handler, so it lives in memory, and a loop counting in it would wait for its own store every flag.
    /// </remarks>
    private void EvaluateFrom(
        ref int cursor, CompiledFlag[] flags, FlagUser user, AllFlagsEntry[] entries, ref BucketBatch batch, ref Evaluator.SegmentMemo segments, Md5Kernel kernel)
    {
        for (var i = cursor; i < flags.Length; i++)
        {
            cursor = i;
            var flag = flags[i];
            if (!flag.IsEnabled && flag.DisabledVariation is { } off)
            {
                // The common case of a big flag set, decided without the evaluator.
                entries[i] = new AllFlagsEntry(off, flag.OffKind, PendingRollout.Fallthrough);
            }
            else if (Evaluator.TryEvaluateWithoutBucket(flag, user, _strict, ref segments, out var result, out var pending))
            {
                entries[i] = Entry(flag, result, pending.RuleIndex);
            }
            else if (!batch.TryAdd(i, flag.BucketPrefix, pending))
            {
                // A key that is not one ASCII block (long or non-ASCII): hashed on its own, as a single evaluation does.
                entries[i] = Entry(flag, Evaluator.FinishWithBucket(flag, pending.RuleIndex, Bucketing.GetFirstWord(flag, pending.DispatchValue)), pending.RuleIndex);
            }
            else if (batch.IsFull)
            {
                Finish(ref batch, flags, entries, kernel);
            }
        }

        cursor = flags.Length;
    }

    /// <summary>
    /// Hashes the queued keys in one pass and finishes their flags, with one exception region for the batch (as the
    /// main loop): a lane that throws is reported with an error entry and the next lanes are finished.
    /// </summary>
    private void Finish(ref BucketBatch batch, CompiledFlag[] flags, AllFlagsEntry[] entries, Md5Kernel kernel)
    {
        Span<int> bucketWords = stackalloc int[Md5Lanes.Count];
        batch.HashFirstWords(bucketWords, kernel);
        var lane = 0;
        while (true)
        {
            try
            {
                FinishLanes(ref lane, ref batch, bucketWords, flags, entries);
                break;
            }
            catch (Exception e)
            {
                var failed = batch.LaneAt(lane).Index;
                entries[failed] = new AllFlagsEntry(Failed(flags[failed], e), PendingRollout.Fallthrough);
                lane++;
            }
        }

        batch.Clear();
    }

    private void FinishLanes(ref int lane, ref BucketBatch batch, ReadOnlySpan<int> bucketWords, CompiledFlag[] flags, AllFlagsEntry[] entries)
    {
        for (; lane < batch.Count; lane++)
        {
            ref readonly var queued = ref batch.LaneAt(lane);
            var flag = flags[queued.Index];
            entries[queued.Index] = Entry(flag, Evaluator.FinishWithBucket(flag, queued.RuleIndex, bucketWords[lane]), queued.RuleIndex);
        }
    }

    /// <summary>
    /// The entry of an evaluation whose rule <paramref name="ruleIndex"/> matched (a <see cref="PendingRollout.RuleIndex"/>),
    /// an error reported first (<see cref="Reported"/>, called only then).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private AllFlagsEntry Entry(CompiledFlag flag, in EvalResult result, int ruleIndex)
        => new(result.Variation is null ? Reported(flag, result) : result, ruleIndex);
}
