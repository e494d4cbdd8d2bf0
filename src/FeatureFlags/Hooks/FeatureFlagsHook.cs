namespace FeatureFlags.Hooks;

/// <summary>
/// Code an app plugs in around the client's evaluations and <c>Track</c> calls: audit logs, metrics, breadcrumbs, extra
/// validation. Derive from it, override the stages you need, and register it with
/// <see cref="FeatureFlagsHooksBuilderExtensions.AddHook{T}(IFeatureFlagsBuilder)"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Stages.</b> Each typed evaluation (<c>IsEnabled</c>, every <c>*Variation</c> and <c>*VariationDetail</c> of
/// <see cref="IFeatureFlagClient"/>, <see cref="IFeatureFlags"/> and <see cref="FeatureFlagsClient"/>) runs
/// <see cref="BeforeEvaluation{T}"/> of every hook, evaluates, then runs <see cref="AfterEvaluation{T}"/> of every hook,
/// with the result. Each <c>Track</c> with a user and an event name runs <see cref="AfterTrack"/>. <c>GetAllFlags</c>,
/// <c>Identify</c> and the flag tracker's own evaluations run no hooks.
/// </para>
/// <para>
/// <b>Order.</b> Before stages run in registration order, after stages in reverse order (as LaunchDarkly and OpenFeature
/// do): the last hook registered wraps the evaluation most tightly.
/// </para>
/// <para>
/// <b>Isolation.</b> An exception a stage throws is caught, logged once per hook (EventId 1401) and counted; it never
/// changes the result, stops the other hooks, or reaches the caller. A hook cannot change the result either: the context
/// and the detail are read-only.
/// </para>
/// <para>
/// <b>Threading and cost.</b> Stages run synchronously on the caller's thread, inside the evaluation, concurrently for
/// concurrent evaluations: keep them fast, thread-safe and non-blocking (hand slow work to a queue). The SDK allocates
/// nothing per evaluation for up to 8 hooks; what a stage allocates is its own. Do not evaluate flags of the same
/// client from inside a stage (the stage would run again, recursively). With no hook registered, evaluations cost what they
/// did without hooks.
/// </para>
/// <para>
/// <b>Lifetime.</b> One instance serves the client for its lifetime (a singleton). A hook added by type is created and
/// disposed by the container; one added as an instance belongs to the app.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// public sealed class AuditHook(ILogger&lt;AuditHook&gt; logger) : FeatureFlagsHook
/// {
///     public override void AfterEvaluation&lt;T&gt;(in EvaluationSeriesContext&lt;T&gt; context, EvaluationSeriesData data, in EvaluationDetail&lt;T&gt; detail)
///         =&gt; logger.LogInformation("{Flag} = {Value} for {User} ({Reason})", context.FlagKey, detail.Value, context.User?.Key, detail.Kind);
/// }
///
/// builder.Services.AddFeatureFlags(builder.Configuration).AddHook&lt;AuditHook&gt;();
/// </code>
/// </example>
public abstract class FeatureFlagsHook
{
    /// <summary>Initializes the hook.</summary>
    protected FeatureFlagsHook()
    {
    }

    /// <summary>Gets the hook's name, used in log messages; the type's name unless overridden.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Runs before a flag is evaluated.</summary>
    /// <typeparam name="T">The requested value type.</typeparam>
    /// <param name="context">The evaluation: flag key, user, default value, requested type, client.</param>
    /// <returns>
    /// The data handed to this hook's <see cref="AfterEvaluation{T}"/> for the same evaluation;
    /// <see cref="EvaluationSeriesData.Empty"/> by default.
    /// </returns>
    public virtual EvaluationSeriesData BeforeEvaluation<T>(in EvaluationSeriesContext<T> context) => default;

    /// <summary>Runs after a flag was evaluated, with the result the caller gets.</summary>
    /// <typeparam name="T">The requested value type.</typeparam>
    /// <param name="context">The evaluation: the same as <see cref="BeforeEvaluation{T}"/> was given.</param>
    /// <param name="data">What this hook's <see cref="BeforeEvaluation{T}"/> returned (empty when it threw).</param>
    /// <param name="detail">The result: value, variation id, reason kind and reason text.</param>
    public virtual void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
    {
    }

    /// <summary>Runs after a custom metric was recorded with <c>Track</c> (whether or not events are sent).</summary>
    /// <param name="context">The metric: event name, user, value, client.</param>
    public virtual void AfterTrack(in TrackSeriesContext context)
    {
    }
}
