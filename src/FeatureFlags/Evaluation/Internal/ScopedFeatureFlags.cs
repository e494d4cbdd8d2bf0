using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// The scoped <see cref="IFeatureFlags"/>: the scope's user plus one store snapshot, taken at the first evaluation and
/// kept for the scope's lifetime (Microsoft.FeatureManagement's <c>FeatureManagerSnapshot</c>).
/// </summary>
internal sealed class ScopedFeatureFlags(FeatureFlagClient client) : IFeatureFlags
{
    private FlagSnapshot? _snapshot;

    public FlagUser? User { get; private set; }

    /// <summary>The snapshot this scope evaluates against; captured on first use.</summary>
    internal FlagSnapshot Snapshot => _snapshot ??= client.Store.Current;

    public void SetUser(FlagUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        User = user;
    }

    public bool IsEnabled(string flagKey) => Evaluate<bool, BoolConverter>(flagKey, false).Value;

    public bool GetBool(string flagKey, bool defaultValue = false) => Evaluate<bool, BoolConverter>(flagKey, defaultValue).Value;

    public string GetString(string flagKey, string defaultValue) => Evaluate<string, StringConverter>(flagKey, defaultValue).Value;

    public int GetInt(string flagKey, int defaultValue = 0) => Evaluate<int, IntConverter>(flagKey, defaultValue).Value;

    public double GetDouble(string flagKey, double defaultValue = 0) => Evaluate<double, DoubleConverter>(flagKey, defaultValue).Value;

    public T GetJson<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo) => GetJsonDetail(flagKey, defaultValue, jsonTypeInfo).Value;

    public EvaluationDetail<string> GetDetail(string flagKey, string defaultValue = "") => Evaluate<string, StringConverter>(flagKey, defaultValue);

    public EvaluationDetail<bool> GetBoolDetail(string flagKey, bool defaultValue = false) => Evaluate<bool, BoolConverter>(flagKey, defaultValue);

    public EvaluationDetail<int> GetIntDetail(string flagKey, int defaultValue = 0) => Evaluate<int, IntConverter>(flagKey, defaultValue);

    public EvaluationDetail<double> GetDoubleDetail(string flagKey, double defaultValue = 0) => Evaluate<double, DoubleConverter>(flagKey, defaultValue);

    public EvaluationDetail<T> GetJsonDetail<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo)
    {
        if (jsonTypeInfo is null)
        {
            var raw = client.Evaluate<string, StringConverter>(Snapshot, flagKey, User!, string.Empty, record: false);
            return new(raw.FlagKey, defaultValue, string.Empty, raw.IsDefaultValue ? raw.Kind : EvaluationReasonKind.Error,
                raw.IsDefaultValue ? raw.Reason : "json type info not specified");
        }

        // The client's JSON path records the evaluation event only once the value has deserialised.
        return client.EvaluateJson(Snapshot, flagKey, User!, defaultValue, json => JsonSerializer.Deserialize(json, jsonTypeInfo));
    }

    public AllFlagsState GetAllFlags() => client.GetAllFlags(Snapshot, User!);

    public void Track(string eventName, double numericValue = 1) => client.Track(User!, eventName, numericValue);

    private EvaluationDetail<T> Evaluate<T, TConverter>(string flagKey, T defaultValue)
        where TConverter : IVariationConverter<T>
        => client.Evaluate<T, TConverter>(Snapshot, flagKey, User!, defaultValue);
}
