using System.Runtime.CompilerServices;

namespace FeatureFlags.Hooks.Internal;

/// <summary>The per-evaluation data of up to <see cref="HookRunner.InlineCapacity"/> hooks, on the caller's stack.</summary>
[InlineArray(HookRunner.InlineCapacity)]
internal struct SeriesDataBuffer
{
    private EvaluationSeriesData _element;
}
