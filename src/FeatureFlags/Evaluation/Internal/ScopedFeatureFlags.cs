using System.Text.Json.Serialization.Metadata;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The default client's scoped <see cref="IFeatureFlags"/>: the scope's user plus one store snapshot, taken at the first
/// evaluation and kept for the scope's lifetime (Microsoft.FeatureManagement's <c>FeatureManagerSnapshot</c>).
/// </summary>
internal sealed class ScopedFeatureFlags(FeatureFlagClient client) : ScopedFeatureFlagsBase(client)
{
    private FlagUser? _user;

    public override FlagUser? User => _user;

    public override void SetUser(FlagUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        _user = user;
    }
}

/// <summary>
/// What every scoped <see cref="IFeatureFlags"/> does with its user: evaluate against one store snapshot, taken at the
/// first evaluation and kept for the scope's lifetime. The derived class says where the user comes from.
/// </summary>
internal abstract class ScopedFeatureFlagsBase(FeatureFlagClient client) : IFeatureFlags
{
    private FlagSnapshot? _snapshot;

    public abstract FlagUser? User { get; }

    /// <summary>The snapshot this scope evaluates against; captured on first use.</summary>
    internal FlagSnapshot Snapshot => _snapshot ??= client.Store.Current;

    public abstract void SetUser(FlagUser user);

    public bool IsEnabled(string flagKey) => client.Variation<bool, BoolConverter>(Snapshot, flagKey, User!, false);

    public bool BoolVariation(string flagKey, bool defaultValue = false) => client.Variation<bool, BoolConverter>(Snapshot, flagKey, User!, defaultValue);

    public EvaluationDetail<bool> BoolVariationDetail(string flagKey, bool defaultValue = false) => Evaluate<bool, BoolConverter>(flagKey, defaultValue);

    public string StringVariation(string flagKey, string defaultValue) => client.Variation<string, StringConverter>(Snapshot, flagKey, User!, defaultValue);

    public EvaluationDetail<string> StringVariationDetail(string flagKey, string defaultValue) => Evaluate<string, StringConverter>(flagKey, defaultValue);

    public int IntVariation(string flagKey, int defaultValue = 0) => client.Variation<int, IntConverter>(Snapshot, flagKey, User!, defaultValue);

    public EvaluationDetail<int> IntVariationDetail(string flagKey, int defaultValue = 0) => Evaluate<int, IntConverter>(flagKey, defaultValue);

    public double DoubleVariation(string flagKey, double defaultValue = 0) => client.Variation<double, DoubleConverter>(Snapshot, flagKey, User!, defaultValue);

    public EvaluationDetail<double> DoubleVariationDetail(string flagKey, double defaultValue = 0) => Evaluate<double, DoubleConverter>(flagKey, defaultValue);

    public T JsonVariation<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo) => JsonVariationDetail(flagKey, defaultValue, jsonTypeInfo).Value;

    // The client's JSON path records the evaluation event only once the value has deserialised.
    public EvaluationDetail<T> JsonVariationDetail<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo)
        => client.EvaluateJson(Snapshot, flagKey, User!, defaultValue, jsonTypeInfo);

    public AllFlagsState GetAllFlags() => client.GetAllFlags(Snapshot, User!);

    public void Track(string eventName, double numericValue = 1) => client.Track(User!, eventName, numericValue);

    private EvaluationDetail<T> Evaluate<T, TConverter>(string flagKey, T defaultValue)
        where TConverter : IVariationConverter<T>
        => client.Evaluate<T, TConverter>(Snapshot, flagKey, User!, defaultValue);
}
