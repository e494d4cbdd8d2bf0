using System.Diagnostics.CodeAnalysis;

namespace FeatureFlags.Hooks;

/// <summary>The value type an evaluation asked for: which <c>*Variation</c> method was called.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Named after the *Variation methods (BoolVariation, StringVariation, IntVariation, DoubleVariation, JsonVariation).")]
public enum FlagValueType
{
    /// <summary><c>BoolVariation</c>, <c>BoolVariationDetail</c> or <c>IsEnabled</c>.</summary>
    Bool,

    /// <summary><c>StringVariation</c> or <c>StringVariationDetail</c>.</summary>
    String,

    /// <summary><c>IntVariation</c> or <c>IntVariationDetail</c>.</summary>
    Int,

    /// <summary><c>DoubleVariation</c> or <c>DoubleVariationDetail</c>.</summary>
    Double,

    /// <summary><c>JsonVariation</c> or <c>JsonVariationDetail</c>, whatever the type it deserialises to.</summary>
    Json,
}
