using System.Text.Json.Serialization.Metadata;
using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// A named client's scoped <see cref="IFeatureFlags"/> (<c>[FromKeyedServices("eu")] IFeatureFlags</c>): as
/// <see cref="ScopedFeatureFlags"/>, but until its own <see cref="SetUser"/> is called its user is the user of the
/// scope's default <see cref="IFeatureFlags"/> (set by <c>UseFeatureFlags()</c> in ASP.NET Core). A separate type, so the
/// default client's scoped object keeps its size and code.
/// </summary>
/// <param name="client">The named client.</param>
/// <param name="scope">The scope whose default <see cref="IFeatureFlags"/> holds the request's user.</param>
internal sealed class NamedScopedFeatureFlags(FeatureFlagClient client, IServiceProvider scope) : IFeatureFlags
{
    private FlagSnapshot? _snapshot;
    private FlagUser? _user;
    private IFeatureFlags? _inherited;
    private bool _resolved;

    public FlagUser? User => _user ?? InheritedUser();

    /// <summary>The snapshot this scope evaluates against; captured on first use.</summary>
    internal FlagSnapshot Snapshot => _snapshot ??= client.Store.Current;

    public void SetUser(FlagUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        _user = user;
    }

    public bool IsEnabled(string flagKey) => Evaluate<bool, BoolConverter>(flagKey, false).Value;

    public bool BoolVariation(string flagKey, bool defaultValue = false) => Evaluate<bool, BoolConverter>(flagKey, defaultValue).Value;

    public EvaluationDetail<bool> BoolVariationDetail(string flagKey, bool defaultValue = false) => Evaluate<bool, BoolConverter>(flagKey, defaultValue);

    public string StringVariation(string flagKey, string defaultValue) => Evaluate<string, StringConverter>(flagKey, defaultValue).Value;

    public EvaluationDetail<string> StringVariationDetail(string flagKey, string defaultValue) => Evaluate<string, StringConverter>(flagKey, defaultValue);

    public int IntVariation(string flagKey, int defaultValue = 0) => Evaluate<int, IntConverter>(flagKey, defaultValue).Value;

    public EvaluationDetail<int> IntVariationDetail(string flagKey, int defaultValue = 0) => Evaluate<int, IntConverter>(flagKey, defaultValue);

    public double DoubleVariation(string flagKey, double defaultValue = 0) => Evaluate<double, DoubleConverter>(flagKey, defaultValue).Value;

    public EvaluationDetail<double> DoubleVariationDetail(string flagKey, double defaultValue = 0) => Evaluate<double, DoubleConverter>(flagKey, defaultValue);

    public T JsonVariation<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo) => JsonVariationDetail(flagKey, defaultValue, jsonTypeInfo).Value;

    // The client's JSON path records the evaluation event only once the value has deserialised.
    public EvaluationDetail<T> JsonVariationDetail<T>(string flagKey, T defaultValue, JsonTypeInfo<T> jsonTypeInfo)
        => client.EvaluateJson(Snapshot, flagKey, User!, defaultValue, jsonTypeInfo);

    public AllFlagsState GetAllFlags() => client.GetAllFlags(Snapshot, User!);

    public void Track(string eventName, double numericValue = 1) => client.Track(User!, eventName, numericValue);

    private FlagUser? InheritedUser()
    {
        if (!_resolved)
        {
            _inherited = scope.GetService(typeof(IFeatureFlags)) as IFeatureFlags;
            _resolved = true;
        }

        return _inherited?.User;
    }

    private EvaluationDetail<T> Evaluate<T, TConverter>(string flagKey, T defaultValue)
        where TConverter : IVariationConverter<T>
        => client.Evaluate<T, TConverter>(Snapshot, flagKey, User!, defaultValue);
}
