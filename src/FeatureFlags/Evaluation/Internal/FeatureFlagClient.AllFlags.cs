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
        var batch = default(BucketBatch);
        for (var i = 0; i < flags.Length; i++)
        {
            var flag = flags[i];
            if (TryRunWithoutBucket(flag, user, out var result, out var pending))
            {
                entries[i] = new AllFlagsEntry(result);
            }
            else if (!batch.TryAdd(i, flag.Key, pending))
            {
                // A key that is not one ASCII block (long or non-ASCII): hashed on its own, as a single evaluation does.
                entries[i] = new AllFlagsEntry(RunWithBucket(flag, pending, Bucketing.GetBucket(flag.Key, pending.DispatchValue)));
            }
            else if (batch.IsFull)
            {
                Finish(ref batch, flags, entries, kernel);
            }
        }

        if (batch.Count > 0)
        {
            Finish(ref batch, flags, entries, kernel);
        }

        return new AllFlagsState(true, "ok", new AllFlagsEntries(snapshot.LiveKeys, entries));
    }

    /// <summary>Hashes the queued keys in one pass and finishes their flags.</summary>
    private void Finish(ref BucketBatch batch, CompiledFlag[] flags, AllFlagsEntry[] entries, Md5Kernel kernel)
    {
        Span<double> buckets = stackalloc double[Md5Lanes.Count];
        batch.HashBuckets(buckets, kernel);
        for (var lane = 0; lane < batch.Count; lane++)
        {
            var queued = batch[lane];
            entries[queued.Index] = new AllFlagsEntry(RunWithBucket(flags[queued.Index], queued.Rollout, buckets[lane]));
        }

        batch.Clear();
    }

    /// <summary><see cref="Evaluator.TryEvaluateWithoutBucket"/> with <see cref="Run"/>'s guarantees: never throws, failures reported.</summary>
    private bool TryRunWithoutBucket(CompiledFlag flag, FlagUser user, out EvalResult result, out PendingRollout pending)
    {
        try
        {
            if (!Evaluator.TryEvaluateWithoutBucket(flag, user, _strict, out result, out pending))
            {
                return false;
            }
        }
        catch (Exception e)
        {
            ReportFailure(flag, e);
            result = new EvalResult(null, EvaluationReasonKind.Error, Reasons.Exception, false);
            pending = default;
            return true;
        }

        result = Reported(flag, result);
        return true;
    }

    /// <summary><see cref="Evaluator.FinishWithBucket"/> with <see cref="Run"/>'s guarantees: never throws, failures reported.</summary>
    private EvalResult RunWithBucket(CompiledFlag flag, in PendingRollout pending, double bucket)
    {
        EvalResult result;
        try
        {
            result = Evaluator.FinishWithBucket(flag, pending, bucket);
        }
        catch (Exception e)
        {
            ReportFailure(flag, e);
            return new EvalResult(null, EvaluationReasonKind.Error, Reasons.Exception, false);
        }

        return Reported(flag, result);
    }
}
