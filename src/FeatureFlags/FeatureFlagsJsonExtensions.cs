using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FeatureFlags;

/// <summary>
/// Reflection-based JSON flags for apps that neither trim nor publish NativeAOT: the same <c>JsonVariation</c> and
/// <c>JsonVariationDetail</c> as <see cref="IFeatureFlagClient"/> and <see cref="IFeatureFlags"/>, without a
/// <see cref="JsonTypeInfo{T}"/> (the type's metadata comes from <see cref="JsonSerializerOptions.Default"/>).
/// </summary>
/// <remarks>
/// Extension methods rather than interface overloads, so the AOT-safe members stay the only ones on the interfaces (and
/// minimal-API source generation binds them directly). In a trimmed or NativeAOT app, pass a <see cref="JsonTypeInfo{T}"/>
/// from your <c>JsonSerializerContext</c> instead: these are annotated so the warning points at your call.
/// </remarks>
/// <example>
/// <code>
/// var banner = flags.JsonVariation("banner", new Banner("none"));
/// var detail = client.JsonVariationDetail("banner", user, new Banner("none"));
/// </code>
/// </example>
public static class FeatureFlagsJsonExtensions
{
    private const string Reason = "Reflection-based JSON; use the JsonTypeInfo<T> overload for trimming and NativeAOT.";

    /// <summary>Evaluates a JSON flag for a user and deserialises it with reflection-based <c>System.Text.Json</c>.</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="client">The client.</param>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or does not deserialise.</param>
    /// <returns>The deserialised value, or <paramref name="defaultValue"/>.</returns>
    [RequiresUnreferencedCode(Reason)]
    [RequiresDynamicCode(Reason)]
    public static T JsonVariation<T>(this IFeatureFlagClient client, string flagKey, FlagUser user, T defaultValue)
        => client.JsonVariationDetail(flagKey, user, defaultValue).Value;

    /// <summary>Evaluates a JSON flag for a user, deserialises it with reflection-based <c>System.Text.Json</c> and explains the result.</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="client">The client.</param>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="user">The user.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or does not deserialise.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    [RequiresUnreferencedCode(Reason)]
    [RequiresDynamicCode(Reason)]
    public static EvaluationDetail<T> JsonVariationDetail<T>(this IFeatureFlagClient client, string flagKey, FlagUser user, T defaultValue)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.JsonVariationDetail(flagKey, user, defaultValue, TypeInfo<T>());
    }

    /// <summary>Evaluates a JSON flag for the scope's user and deserialises it with reflection-based <c>System.Text.Json</c>.</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="flags">The scoped flags.</param>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or does not deserialise.</param>
    /// <returns>The deserialised value, or <paramref name="defaultValue"/>.</returns>
    [RequiresUnreferencedCode(Reason)]
    [RequiresDynamicCode(Reason)]
    public static T JsonVariation<T>(this IFeatureFlags flags, string flagKey, T defaultValue)
        => flags.JsonVariationDetail(flagKey, defaultValue).Value;

    /// <summary>Evaluates a JSON flag for the scope's user, deserialises it with reflection-based <c>System.Text.Json</c> and explains the result.</summary>
    /// <typeparam name="T">The type to deserialise to.</typeparam>
    /// <param name="flags">The scoped flags.</param>
    /// <param name="flagKey">The flag key.</param>
    /// <param name="defaultValue">Returned when the flag cannot be evaluated or does not deserialise.</param>
    /// <returns>The value, the variation id and the reason.</returns>
    [RequiresUnreferencedCode(Reason)]
    [RequiresDynamicCode(Reason)]
    public static EvaluationDetail<T> JsonVariationDetail<T>(this IFeatureFlags flags, string flagKey, T defaultValue)
    {
        ArgumentNullException.ThrowIfNull(flags);
        return flags.JsonVariationDetail(flagKey, defaultValue, TypeInfo<T>());
    }

    [RequiresUnreferencedCode(Reason)]
    [RequiresDynamicCode(Reason)]
    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)JsonSerializerOptions.Default.GetTypeInfo(typeof(T));
}
