namespace FeatureFlags;

/// <summary>The declared type of a flag's values: FeatBit's <c>variationType</c>.</summary>
/// <remarks>
/// A remote-evaluation protocol (OFREP, OpenFeature) returns a flag's value as a JSON value of this type; the typed
/// <c>*Variation</c> methods do not need it (they convert the served value to the type the caller asks for).
/// </remarks>
public enum FlagVariationType
{
    /// <summary>The flag does not exist, or its data names no type (or one this SDK does not know): treat the value as a string.</summary>
    Unknown = 0,

    /// <summary><c>boolean</c>: values are <c>true</c> and <c>false</c>.</summary>
    Boolean = 1,

    /// <summary><c>number</c>: values are numbers written in invariant culture.</summary>
    Number = 2,

    /// <summary><c>string</c>: values are text.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "FeatBit's variationType name.")]
    String = 3,

    /// <summary><c>json</c>: values are JSON documents.</summary>
    Json = 4,
}
