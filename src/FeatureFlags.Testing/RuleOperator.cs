namespace FeatureFlags.Testing;

/// <summary>How a rule condition compares a user attribute with its operand (FeatBit's rule operators).</summary>
/// <remarks>
/// String comparisons are ordinal and case-sensitive; a missing attribute compares as <c>""</c> (or never matches
/// with <c>FeatureFlags:Evaluation:StrictMissingAttributes</c>), exactly as for flags from the FeatBit server.
/// </remarks>
public enum RuleOperator
{
    /// <summary>The attribute equals the operand.</summary>
    Equal,

    /// <summary>The attribute does not equal the operand.</summary>
    NotEqual,

    /// <summary>The attribute contains the operand.</summary>
    Contains,

    /// <summary>The attribute does not contain the operand.</summary>
    NotContains,

    /// <summary>The attribute starts with the operand.</summary>
    StartsWith,

    /// <summary>The attribute ends with the operand.</summary>
    EndsWith,

    /// <summary>The attribute is one of the operands.</summary>
    IsOneOf,

    /// <summary>The attribute is none of the operands.</summary>
    NotOneOf,

    /// <summary>The attribute is <c>true</c> (any case); takes no operand.</summary>
    IsTrue,

    /// <summary>The attribute is <c>false</c> (any case); takes no operand.</summary>
    IsFalse,

    /// <summary>The attribute matches the regular expression operand.</summary>
    MatchesRegex,

    /// <summary>The attribute does not match the regular expression operand.</summary>
    NotMatchesRegex,

    /// <summary>The attribute is a number less than the operand.</summary>
    LessThan,

    /// <summary>The attribute is a number less than or equal to the operand.</summary>
    LessThanOrEqual,

    /// <summary>The attribute is a number greater than the operand.</summary>
    GreaterThan,

    /// <summary>The attribute is a number greater than or equal to the operand.</summary>
    GreaterThanOrEqual,
}
