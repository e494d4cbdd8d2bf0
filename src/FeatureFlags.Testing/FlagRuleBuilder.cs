using FeatureFlags.Testing.Internal;

namespace FeatureFlags.Testing;

/// <summary>
/// Describes one targeting rule of a test flag: its conditions (a user matches when all of them hold; no condition
/// matches everyone) and what it serves (<see cref="Serve"/> or <see cref="Percentage"/>).
/// </summary>
/// <remarks>
/// Attributes are those of <see cref="FlagUser"/>: <c>keyId</c> (<see cref="FlagUser.KeyAttribute"/>), <c>name</c>,
/// <c>email</c>, <c>country</c> and custom attributes by name. <see cref="InSegment"/> and <see cref="NotInSegment"/>
/// add conditions on segment membership.
/// </remarks>
public sealed class FlagRuleBuilder
{
    private readonly List<Condition> _conditions = [];

    internal FlagRuleBuilder()
    {
    }

    internal IReadOnlyList<Condition> Conditions => _conditions;

    internal Serve? Served { get; private set; }

    /// <summary>Adds a condition on a user attribute.</summary>
    /// <param name="attribute">The attribute, for example <c>"country"</c>.</param>
    /// <param name="op">The comparison.</param>
    /// <param name="operands">
    /// One operand for most operators, any number for <see cref="RuleOperator.IsOneOf"/> and
    /// <see cref="RuleOperator.NotOneOf"/>, none for <see cref="RuleOperator.IsTrue"/> and <see cref="RuleOperator.IsFalse"/>.
    /// </param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The number of operands does not fit the operator.</exception>
    public FlagRuleBuilder When(string attribute, RuleOperator op, params string[] operands)
    {
        _conditions.Add(FlagDefinition.Condition(attribute, op, operands));
        return this;
    }

    /// <summary>Adds a numeric condition on a user attribute (<see cref="RuleOperator.LessThan"/> and the like).</summary>
    /// <param name="attribute">The attribute, for example <c>"age"</c>.</param>
    /// <param name="op">The comparison.</param>
    /// <param name="operand">The number.</param>
    /// <returns>This builder.</returns>
    public FlagRuleBuilder When(string attribute, RuleOperator op, double operand)
        => When(attribute, op, FlagDefinition.Operand(operand));

    /// <summary>
    /// Adds a condition that holds for users in any of the given segments (FeatBit's "User is in segment"), defined with
    /// <see cref="InMemoryFlags.Segment"/>.
    /// </summary>
    /// <param name="segmentNames">One or more segment names.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// A segment that is not defined when a user reaches this rule makes the flag return the caller's default with the
    /// reason kind <see cref="EvaluationReasonKind.MalformedFlag"/> (<c>malformed flag</c>), as in production.
    /// </remarks>
    /// <example>
    /// <code>
    /// flags.Flag("new-search").Rule(r => r.InSegment("beta-testers", "staff").Serve(true));
    /// </code>
    /// </example>
    public FlagRuleBuilder InSegment(params string[] segmentNames) => Segments(isIn: true, segmentNames);

    /// <summary>
    /// Adds a condition that holds for users in none of the given segments (FeatBit's "User is not in segment").
    /// </summary>
    /// <param name="segmentNames">One or more segment names.</param>
    /// <returns>This builder.</returns>
    /// <remarks>An undefined segment makes the flag evaluate to an error here too, never to "not in the segment".</remarks>
    public FlagRuleBuilder NotInSegment(params string[] segmentNames) => Segments(isIn: false, segmentNames);

    private FlagRuleBuilder Segments(bool isIn, string[] segmentNames)
    {
        ArgumentNullException.ThrowIfNull(segmentNames);
        if (segmentNames.Length == 0)
        {
            throw new ArgumentException("Name at least one segment.", nameof(segmentNames));
        }

        foreach (var name in segmentNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(segmentNames));
        }

        _conditions.Add(SegmentDefinition.Condition(isIn, segmentNames));
        return this;
    }

    /// <summary>Serves <paramref name="value"/> to the users the rule matches.</summary>
    /// <param name="value">The value.</param>
    /// <returns>This builder.</returns>
    public FlagRuleBuilder Serve(FlagValue value)
    {
        Served = Internal.Serve.Single(value);
        return this;
    }

    /// <summary>Splits the users the rule matches between values by percentage (they add up to 100).</summary>
    /// <param name="split">Values and their percentages.</param>
    /// <returns>This builder.</returns>
    public FlagRuleBuilder Percentage(params (FlagValue Value, double Percent)[] split)
    {
        Served = Internal.Serve.Percentage(split);
        return this;
    }
}
