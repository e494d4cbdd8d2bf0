using System.Text.Json.Serialization.Metadata;

namespace FeatureFlags;

/// <summary>
/// Evaluates feature flags for a user, locally, from the in-memory flag store. One per application (singleton).
/// </summary>
/// <remarks>
/// Thread-safe, synchronous and non-blocking: every call reads the current immutable snapshot of the store and does
/// no I/O. No call throws: on any problem (not ready, unknown or archived flag, broken flag data, a value of the
/// wrong type, a null argument) the caller's default is returned and the <c>*Detail</c> form says why.
/// </remarks>
/// <example>
/// <code>
/// var user = FlagUser.Builder("user-42").Country("GB").Build();
/// if (client.BoolVariation("new-checkout", user))
/// {
///     // new code path
/// }
/// </code>
/// </example>
public interface IFeatureFlagClient
{
    /// <summary>Gets whether flag data has been loaded; before that every evaluation returns the caller's default with <see cref="EvaluationReasonKind.ClientNotReady"/>.</summary>
    bool IsInitialized { get; }

    /// <summary>Evaluates a boolean flag; <see langword="false"/> when it cannot be evaluated (<c>BoolVariation(flagKey, user, false)</c>).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user to evaluate for.</param>
    /// <returns>The flag's value for the user.</returns>
    bool IsEnabled(string flagKey, FlagUser user);

    /// <summary>Evaluates a boolean flag.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    bool BoolVariation(string flagKey, FlagUser user, bool defaultValue = false);

    /// <summary>Evaluates a boolean flag and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<bool> BoolVariationDetail(string flagKey, FlagUser user, bool defaultValue = false);

    /// <summary>Evaluates a string flag (any flag: the raw variation value).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    string StringVariation(string flagKey, FlagUser user, string defaultValue);

    /// <summary>Evaluates a string flag and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<string> StringVariationDetail(string flagKey, FlagUser user, string defaultValue);

    /// <summary>Evaluates a number flag as a 32-bit integer (invariant culture; <c>"1.5"</c> is a wrong type).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    int IntVariation(string flagKey, FlagUser user, int defaultValue = 0);

    /// <summary>Evaluates a number flag as a 32-bit integer and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<int> IntVariationDetail(string flagKey, FlagUser user, int defaultValue = 0);

    /// <summary>Evaluates a number flag as a double (invariant culture, finite values only).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    double DoubleVariation(string flagKey, FlagUser user, double defaultValue = 0);

    /// <summary>Evaluates a number flag as a double and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<double> DoubleVariationDetail(string flagKey, FlagUser user, double defaultValue = 0);

    /// <summary>Evaluates a JSON flag and deserialises its value with source-generated metadata (AOT-safe).</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or its value does not deserialise.</param>
    /// <param name="jsonTypeInfo">Metadata for <typeparamref name="T"/>, from a <c>JsonSerializerContext</c>.</param>
    /// <returns>The deserialised value, or <paramref name="defaultValue"/>.</returns>
    T JsonVariation<T>(string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo);

    /// <summary>Evaluates a JSON flag, deserialises its value with source-generated metadata (AOT-safe) and explains the result.</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or its value does not deserialise.</param>
    /// <param name="jsonTypeInfo">Metadata for <typeparamref name="T"/>, from a <c>JsonSerializerContext</c>.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<T> JsonVariationDetail<T>(string flagKey, FlagUser user, T defaultValue, JsonTypeInfo<T> jsonTypeInfo);

    /// <summary>Evaluates every live flag for a user (the featureflag.co Python SDK's <c>get_all_latest_flag_variations</c>). Records no events.</summary>
    /// <param name="user">The user.</param>
    /// <returns>The raw value and reason of every flag; empty, with a reason, when not ready.</returns>
    AllFlagsState GetAllFlags(FlagUser user);

    /// <summary>
    /// Records a custom metric for a user (the featureflag.co Python SDK's <c>track_metric</c>), for A/B/n experiments: FeatBit joins it
    /// to the evaluation events of the same user whose flag is in an experiment, so call it <em>after</em> evaluating
    /// the flag for that user.
    /// </summary>
    /// <remarks>
    /// Never blocks and never throws: the event is put in a bounded buffer and sent in the background with the next
    /// batch. A null user, a blank event name or a value that is not a finite number is logged and dropped. Nothing
    /// is recorded when <see cref="InsightEventsOptions.Enabled"/> is false.
    /// </remarks>
    /// <param name="user">The user who did it.</param>
    /// <param name="eventName">The metric's event name, as configured in FeatBit (for example <c>click-checkout</c>).</param>
    /// <param name="numericValue">The metric's value (for example an amount); 1 by default, for a count.</param>
    /// <example>
    /// <code>
    /// if (client.BoolVariation("new-checkout", user))
    /// {
    ///     // ... the user completes a purchase
    ///     client.Track(user, "purchase-completed", 49.90);
    /// }
    /// </code>
    /// </example>
    void Track(FlagUser user, string eventName, double numericValue = 1);

    /// <summary>
    /// Records that a user viewed a page, for a FeatBit experiment measured by a page-view metric: the event FeatBit's
    /// JavaScript SDK sends for such a metric (<c>type</c> <c>PageView</c>, the metric's event name and the page's route).
    /// FeatBit counts, per variation, the users exposed to the experiment's flag who then viewed the page.
    /// </summary>
    /// <remarks>
    /// Never blocks and never throws, like <see cref="Track"/>: a null user, a blank event name or a blank route (or one
    /// longer than 2,048 characters) is logged and dropped. <c>app.UseFeatureFlags()</c> calls it for the pages listed
    /// in <c>FeatureFlags:PageViews</c>; call it yourself for a page the server does not render (a single-page app's
    /// route change reported to an API). An implementation that does not record events ignores it (the default).
    /// </remarks>
    /// <param name="user">The user who viewed the page.</param>
    /// <param name="eventName">The page-view metric's event name, as configured in FeatBit.</param>
    /// <param name="route">The page's path (for example <c>/checkout</c>), without the query string.</param>
    void TrackPageView(FlagUser user, string eventName, string route)
    {
    }

    /// <summary>
    /// Registers or refreshes a user in FeatBit (its key, name and attributes show up in the FeatBit UI) without
    /// evaluating a flag or recording a metric.
    /// </summary>
    /// <remarks>Never blocks and never throws: a null user is logged and dropped. Evaluations and
    /// <see cref="Track"/> register their user too; this is for users seen before any of those.</remarks>
    /// <param name="user">The user.</param>
    void Identify(FlagUser user);

    /// <summary>Sends every event buffered so far (evaluation events, metrics, users) and waits until it is sent or dropped.</summary>
    /// <remarks>
    /// Events are otherwise sent every <see cref="InsightEventsOptions.FlushInterval"/>, whenever a batch is full,
    /// and when the host stops; call this only where a process ends without a host shutdown (a console tool, a test).
    /// Failures are logged, not thrown. Completes at once when events are disabled or delivery has stopped.
    /// </remarks>
    /// <param name="cancellationToken">Stops waiting; buffered events not yet sent stay buffered.</param>
    /// <returns>A task that completes when the events buffered at the call have been sent or dropped.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
