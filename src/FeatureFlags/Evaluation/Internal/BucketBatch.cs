using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The rollouts of one all-flags evaluation that wait for the user's bucket, up to sixteen at a time: each key
/// (flag key + dispatch value) is written as a padded MD5 block into one lane of an <see cref="Md5Lanes"/>, and
/// <see cref="HashFirstWords"/> hashes all of them in one multi-buffer pass (<see cref="Md5MultiBuffer"/>).
/// </summary>
/// <remarks>
/// A mutable struct of about 1.2 KB, meant to live on the caller's stack for one evaluation. It holds no references,
/// so the caller's frame need not be zeroed for it (<see cref="SkipLocalsInitAttribute"/>): a lane is read only once written.
/// </remarks>
internal struct BucketBatch
{
    private Md5Lanes _lanes;
    private PendingLanes _pending;
    private int _count;

    /// <summary>Number of rollouts waiting.</summary>
    public readonly int Count => _count;

    /// <summary>Whether every lane is taken: hash and <see cref="Clear"/> before adding more.</summary>
    public readonly bool IsFull => _count == Md5Lanes.Count;

    /// <summary>
    /// Queues the rollout of the flag at <paramref name="index"/>, whose hash key is the flag key (<paramref name="prefix"/>,
    /// its <see cref="CompiledFlag.BucketPrefix"/>) + <see cref="PendingRollout.DispatchValue"/>. Returns false, queuing
    /// nothing, when the key is not a one-block ASCII key (no prefix, or a value that does not fit it): the caller then
    /// computes that bucket on its own.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch is full.</exception>
    public bool TryAdd(int index, BucketKeyPrefix? prefix, in PendingRollout pending)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The batch is full.");
        }

        if (prefix is null || !prefix.TryWriteLane(ref _lanes, _count, pending.DispatchValue))
        {
            return false;
        }

        _pending[_count] = new PendingLane(index, pending.RuleIndex);
        _count++;
        return true;
    }

    /// <summary>The flag index and rollout queued in <paramref name="lane"/>, by reference (no copy).</summary>
    [UnscopedRef]
    public readonly ref readonly PendingLane LaneAt(int lane)
    {
        if ((uint)lane >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(lane));
        }

        return ref ((ReadOnlySpan<PendingLane>)_pending)[lane];
    }

    /// <summary>
    /// Writes the bucket's digest word (<see cref="Bucketing.ToBucket"/>) of every queued key to
    /// <paramref name="bucketWords"/>[lane] (16 elements) with <paramref name="kernel"/>.
    /// </summary>
    public void HashFirstWords(Span<int> bucketWords, Md5Kernel kernel)
        => Md5MultiBuffer.HashFirstWords(ref _lanes, _count, bucketWords, kernel);

    /// <summary>Empties the batch (the lanes and pending entries are overwritten by the next adds).</summary>
    public void Clear() => _count = 0;

    /// <summary>A queued rollout: the index of its flag in the evaluation and its <see cref="PendingRollout.RuleIndex"/>.</summary>
    internal readonly record struct PendingLane(int Index, int RuleIndex);

    [InlineArray(Md5Lanes.Count)]
    private struct PendingLanes
    {
        private PendingLane _lane0;
    }
}
