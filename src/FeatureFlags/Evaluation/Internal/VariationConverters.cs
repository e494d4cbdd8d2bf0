using FeatureFlags.Store.Internal;

namespace FeatureFlags.Evaluation.Internal;

/// <summary>Converts a compiled variation to a requested type without allocating (values are pre-parsed).</summary>
internal interface IVariationConverter<T>
{
    static abstract bool TryConvert(CompiledVariation variation, out T value);
}

internal readonly struct BoolConverter : IVariationConverter<bool>
{
    public static bool TryConvert(CompiledVariation variation, out bool value)
    {
        value = variation.Bool;
        return variation.HasBool;
    }
}

internal readonly struct StringConverter : IVariationConverter<string>
{
    public static bool TryConvert(CompiledVariation variation, out string value)
    {
        value = variation.Value;
        return true;
    }
}

internal readonly struct IntConverter : IVariationConverter<int>
{
    public static bool TryConvert(CompiledVariation variation, out int value)
    {
        value = variation.Int;
        return variation.HasInt;
    }
}

internal readonly struct DoubleConverter : IVariationConverter<double>
{
    public static bool TryConvert(CompiledVariation variation, out double value)
    {
        value = variation.Double;
        return variation.HasDouble;
    }
}
