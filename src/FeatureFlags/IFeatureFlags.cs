using System.Text.Json.Serialization.Metadata;

namespace FeatureFlags;

/// <summary>
/// Feature flags for the current user and unit of work (a web request, a message, a job): the user and one snapshot
/// of the flag store, captured once per scope, so a flag cannot change halfway through a request.
/// </summary>
/// <remarks>
/// <para>
/// Scoped: one instance per DI scope (per request in ASP.NET Core, where <c>app.UseFeatureFlags()</c> sets the user
/// from the request's claims). Outside HTTP, create a scope and call <see cref="SetUser"/>. The store snapshot is taken
/// at the first evaluation and kept for the rest of the scope; flag updates that land later are seen by the next scope.
/// </para>
/// <para>
/// Not thread-safe for <see cref="SetUser"/> racing evaluations (a scope belongs to one logical operation); evaluations
/// themselves are synchronous, non-blocking and never throw. With no user set, every evaluation returns the caller's
/// default with <see cref="EvaluationReasonKind.Error"/> and the reason <c>user not specified</c>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// app.MapGet("/checkout", (IFeatureFlags flags) =>
///     flags.IsEnabled("new-checkout") ? Results.Ok("new") : Results.Ok("old"));
///
/// // In a worker service:
/// using var scope = services.CreateScope();
/// var flags = scope.ServiceProvider.GetRequiredService&lt;IFeatureFlags&gt;();
/// flags.SetUser(FlagUser.Create("tenant-7"));
/// var batchSize = flags.IntVariation("import-batch-size", 100);
/// </code>
/// </example>
public interface IFeatureFlags
{
    /// <summary>Gets the user flags are evaluated for, or <see langword="null"/> when none was set.</summary>
    FlagUser? User { get; }

    /// <summary>Sets the user of this scope; later evaluations use it (the store snapshot is unaffected).</summary>
    /// <param name="user">The user.</param>
    /// <exception cref="ArgumentNullException"><paramref name="user"/> is null.</exception>
    void SetUser(FlagUser user);

    /// <summary>Evaluates a boolean flag; <see langword="false"/> when it cannot be evaluated (<c>BoolVariation(flagKey, false)</c>).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <returns>The flag's value for the user.</returns>
    bool IsEnabled(string flagKey);

    /// <summary>Evaluates a boolean flag.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    bool BoolVariation(string flagKey, bool defaultValue = false);

    /// <summary>Evaluates a boolean flag and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<bool> BoolVariationDetail(string flagKey, bool defaultValue = false);

    /// <summary>Evaluates a flag as its raw string value (any flag type has one).</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    string StringVariation(string flagKey, string defaultValue);

    /// <summary>Evaluates a flag as its raw string value and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<string> StringVariationDetail(string flagKey, string defaultValue);

    /// <summary>Evaluates a number flag as a 32-bit integer.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    int IntVariation(string flagKey, int defaultValue = 0);

    /// <summary>Evaluates a number flag as a 32-bit integer and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<int> IntVariationDetail(string flagKey, int defaultValue = 0);

    /// <summary>Evaluates a number flag as a double.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The flag's value for the user, or <paramref name="defaultValue"/>.</returns>
    double DoubleVariation(string flagKey, double defaultValue = 0);

    /// <summary>Evaluates a number flag as a double and explains the result.</summary>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<double> DoubleVariationDetail(string flagKey, double defaultValue = 0);

    /// <summary>Evaluates a JSON flag and deserialises it with source-generated metadata (AOT-safe).</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or does not deserialise.</param>
    /// <param name="jsonTypeInfo">Metadata for <typeparamref name="T"/>, from a <c>JsonSerializerContext</c>.</param>
    /// <returns>The deserialised value, or <paramref name="defaultValue"/>.</returns>
    T JsonVariation<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo);

    /// <summary>Evaluates a JSON flag, deserialises it (AOT-safe) and explains the result.</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or does not deserialise.</param>
    /// <param name="jsonTypeInfo">Metadata for <typeparamref name="T"/>, from a <c>JsonSerializerContext</c>.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    EvaluationDetail<T> JsonVariationDetail<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo);

    /// <summary>Evaluates every live flag for the user, from this scope's snapshot (for a front end to bootstrap from).</summary>
    /// <returns>Every flag's raw value and reason; empty, with a reason, when not ready or no user is set.</returns>
    AllFlagsState GetAllFlags();

    /// <summary>
    /// Records a custom metric for this scope's user (see <see cref="IFeatureFlagClient.Track"/>): call it after
    /// evaluating the flag of an experiment, so FeatBit can join the two.
    /// </summary>
    /// <remarks>Never blocks and never throws; with no user set, or a blank event name, the metric is logged and dropped.</remarks>
    /// <param name="eventName">The metric's event name, as configured in FeatBit.</param>
    /// <param name="numericValue">The metric's value; 1 by default, for a count.</param>
    void Track(string eventName, double numericValue = 1);
}
