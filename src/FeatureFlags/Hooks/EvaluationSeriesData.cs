namespace FeatureFlags.Hooks;

/// <summary>
/// What a hook's <see cref="FeatureFlagsHook.BeforeEvaluation{T}"/> hands to its own
/// <see cref="FeatureFlagsHook.AfterEvaluation{T}"/> for the same evaluation: a state object, a number, or both.
/// </summary>
/// <remarks>
/// <para>
/// Immutable, and private to the hook and the evaluation: each hook gets back exactly what it returned, whatever the other
/// hooks return, and concurrent evaluations never share it. <see cref="Empty"/> (the default) costs nothing; so does
/// a <see cref="Number"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp, say): neither allocates. A
/// <see cref="State"/> object is whatever the hook allocates for it.
/// </para>
/// <para>
/// When <see cref="FeatureFlagsHook.BeforeEvaluation{T}"/> throws, its <see cref="FeatureFlagsHook.AfterEvaluation{T}"/>
/// still runs, with <see cref="Empty"/>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// public override EvaluationSeriesData BeforeEvaluation&lt;T&gt;(in EvaluationSeriesContext&lt;T&gt; context)
///     =&gt; new(Stopwatch.GetTimestamp());
///
/// public override void AfterEvaluation&lt;T&gt;(in EvaluationSeriesContext&lt;T&gt; context, EvaluationSeriesData data, in EvaluationDetail&lt;T&gt; detail)
///     =&gt; _duration.Record(Stopwatch.GetElapsedTime(data.Number).TotalMilliseconds);
/// </code>
/// </example>
public readonly struct EvaluationSeriesData : IEquatable<EvaluationSeriesData>
{
    /// <summary>Creates data holding a state object.</summary>
    /// <param name="state">The state (may be null).</param>
    public EvaluationSeriesData(object? state) => State = state;

    /// <summary>Creates data holding a number (allocates nothing).</summary>
    /// <param name="number">The number, for example <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>.</param>
    public EvaluationSeriesData(long number) => Number = number;

    /// <summary>Creates data holding a state object and a number.</summary>
    /// <param name="state">The state (may be null).</param>
    /// <param name="number">The number.</param>
    public EvaluationSeriesData(object? state, long number)
    {
        State = state;
        Number = number;
    }

    /// <summary>Gets empty data: no state, number 0 (what a hook that does not override <see cref="FeatureFlagsHook.BeforeEvaluation{T}"/> returns).</summary>
    public static EvaluationSeriesData Empty => default;

    /// <summary>Gets the state object; null when none was set.</summary>
    public object? State { get; }

    /// <summary>Gets the number; 0 when none was set.</summary>
    public long Number { get; }

    /// <summary>Gets whether neither a state nor a number was set.</summary>
    public bool IsEmpty => State is null && Number == 0;

    /// <summary>Whether two data hold equal states (<see cref="object.Equals(object, object)"/>) and the same number.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public static bool operator ==(EvaluationSeriesData left, EvaluationSeriesData right) => left.Equals(right);

    /// <summary>Whether two data differ.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns><see langword="true"/> when they differ.</returns>
    public static bool operator !=(EvaluationSeriesData left, EvaluationSeriesData right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(EvaluationSeriesData other) => Equals(State, other.State) && Number == other.Number;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EvaluationSeriesData other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(State, Number);
}
