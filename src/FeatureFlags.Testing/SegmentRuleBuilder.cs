using FeatureFlags.Testing.Internal;

namespace FeatureFlags.Testing;

/// <summary>
/// Describes one rule of a test segment (<see cref="InMemorySegmentBuilder.Rule"/>): conditions on user attributes,
/// all of which must hold for a user to be in the segment. Segment rules cannot use other segments (FeatBit's model).
/// </summary>
/// <remarks>The attributes and operators are those of <see cref="FlagRuleBuilder.When(string, RuleOperator, string[])"/>.</remarks>
public sealed class SegmentRuleBuilder
{
    private readonly List<Condition> _conditions = [];

    internal SegmentRuleBuilder()
    {
    }

    internal IReadOnlyList<Condition> Conditions => _conditions;

    /// <summary>Adds a condition on a user attribute.</summary>
    /// <param name="attribute">The attribute, for example <c>"plan"</c>.</param>
    /// <param name="op">The comparison.</param>
    /// <param name="operands">As for <see cref="FlagRuleBuilder.When(string, RuleOperator, string[])"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The number of operands does not fit the operator.</exception>
    public SegmentRuleBuilder When(string attribute, RuleOperator op, params string[] operands)
    {
        _conditions.Add(FlagDefinition.Condition(attribute, op, operands));
        return this;
    }

    /// <summary>Adds a numeric condition on a user attribute (<see cref="RuleOperator.LessThan"/> and the like).</summary>
    /// <param name="attribute">The attribute, for example <c>"age"</c>.</param>
    /// <param name="op">The comparison.</param>
    /// <param name="operand">The number.</param>
    /// <returns>This builder.</returns>
    public SegmentRuleBuilder When(string attribute, RuleOperator op, double operand)
        => When(attribute, op, FlagDefinition.Operand(operand));
}
