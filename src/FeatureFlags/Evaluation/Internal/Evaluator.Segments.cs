using System.Runtime.CompilerServices;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

// Segment conditions: whether the user is in any of a condition's segments, with the per-call memo that lets the flags
// of one all-flags evaluation share each segment's answer.
internal static partial class Evaluator
{
    private static Match InAnySegment(CompiledSegment[] segments, FlagUser user, bool strict, ref SegmentMemo memo)
    {
        foreach (var segment in segments)
        {
            Match m;
            if (Unsafe.IsNullRef(ref memo) || segment.HasRegex)
            {
                // One evaluation; or a segment with a regex, tested each time so that every rule using it meets its
                // own timeouts and its breaker counts them.
                m = InSegment(segment, user, strict, ref memo);
            }
            else if (!memo.TryGet(segment, out m))
            {
                m = InSegment(segment, user, strict, ref memo);
                memo.TryAdd(segment, m);
            }

            if (m != Match.No)
            {
                return m;
            }
        }

        return Match.No;
    }

    /// <summary>One segment: excluded keys, then included keys, then its rules (any rule matching).</summary>
    private static Match InSegment(CompiledSegment segment, FlagUser user, bool strict, ref SegmentMemo memo)
    {
        if (segment.Excluded.Contains(user.Key))
        {
            return Match.No;
        }

        if (segment.Included.Contains(user.Key))
        {
            return Match.Yes;
        }

        foreach (var rule in segment.Rules)
        {
            // Broken data inside a segment rule is an error for the flag, never a silent "not in segment".
            var m = MatchAll(rule, user, strict, ref memo);
            if (m != Match.No)
            {
                return m;
            }
        }

        return Match.No;
    }

    /// <summary>
    /// The answers of up to <see cref="Capacity"/> segments for one user within one all-flags evaluation (a struct on the
    /// caller's stack, never shared): flags that use the same segment test it once. Segments past the capacity are
    /// tested each time, as in a single evaluation. A single evaluation passes a null reference and keeps no memo.
    /// </summary>
    internal struct SegmentMemo
    {
        /// <summary>Number of segments remembered.</summary>
        public const int Capacity = 8;

        private SegmentSlots _segments;
        private MatchSlots _answers;
        private int _count;

        /// <summary>The remembered answer for <paramref name="segment"/> (compared by reference: the snapshot's object).</summary>
        public readonly bool TryGet(CompiledSegment segment, out Match answer)
        {
            for (var i = 0; i < _count; i++)
            {
                if (ReferenceEquals(_segments[i], segment))
                {
                    answer = _answers[i];
                    return true;
                }
            }

            answer = Match.No;
            return false;
        }

        /// <summary>Remembers <paramref name="answer"/> for <paramref name="segment"/> while there is room.</summary>
        public void TryAdd(CompiledSegment segment, Match answer)
        {
            if (_count < Capacity)
            {
                _segments[_count] = segment;
                _answers[_count] = answer;
                _count++;
            }
        }

        [InlineArray(Capacity)]
        private struct SegmentSlots
        {
            private CompiledSegment? _slot0;
        }

        [InlineArray(Capacity)]
        private struct MatchSlots
        {
            private Match _slot0;
        }
    }
}
