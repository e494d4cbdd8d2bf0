using FeatureFlags.Testing.Internal;

namespace FeatureFlags.Testing;

/// <summary>
/// Defines or changes one user segment of an <see cref="InMemoryFlags"/> (a FeatBit segment): a named group of users
/// that flag rules target with <see cref="FlagRuleBuilder.InSegment"/> and <see cref="FlagRuleBuilder.NotInSegment"/>.
/// Every method is one atomic change, visible to the apps at once, and returns the builder for chaining.
/// </summary>
/// <remarks>
/// <para>
/// A user is in the segment, in FeatBit's order: never when <see cref="Exclude"/>d (exclusion wins); when
/// <see cref="Include"/>d; when they match every condition of any <see cref="Rule"/>. Users are matched by key
/// (<see cref="FlagUser.Key"/>).
/// </para>
/// <para>
/// A change bumps the version of every flag whose rules use the segment and raises its change notifications
/// (<see cref="IFlagStore.FlagsChanged"/>, <see cref="IFlagTracker"/>) on the SDK's notification thread, shortly
/// after the call returns.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var beta = flags.Segment("beta-testers").Include("alice", "bob").Exclude("carol")
///                 .Rule(r => r.When("plan", RuleOperator.IsOneOf, "premium"));
/// flags.Flag("new-search").Rule(r => r.InSegment("beta-testers").Serve(true));
///
/// beta.Exclude("bob");   // bob no longer gets new-search; its OnFlagValueChanged handlers for bob have run
/// </code>
/// </example>
public sealed class InMemorySegmentBuilder
{
    private readonly InMemoryFlags _owner;

    internal InMemorySegmentBuilder(InMemoryFlags owner, string name)
    {
        _owner = owner;
        Name = name;
    }

    /// <summary>Gets the segment's name.</summary>
    public string Name { get; }

    /// <summary>Puts the users with the given keys in the segment (and takes them off its excluded list).</summary>
    /// <param name="userKeys">The user keys; none just defines the segment.</param>
    /// <returns>This builder.</returns>
    public InMemorySegmentBuilder Include(params string[] userKeys)
    {
        CheckKeys(userKeys);
        return Change(s => SegmentDefinition.Move(userKeys, s.Included, s.Excluded));
    }

    /// <summary>
    /// Keeps the users with the given keys out of the segment, whatever its rules say (and takes them off its included
    /// list).
    /// </summary>
    /// <param name="userKeys">The user keys.</param>
    /// <returns>This builder.</returns>
    public InMemorySegmentBuilder Exclude(params string[] userKeys)
    {
        CheckKeys(userKeys);
        return Change(s => SegmentDefinition.Move(userKeys, s.Excluded, s.Included));
    }

    /// <summary>Empties the included and excluded lists.</summary>
    /// <returns>This builder.</returns>
    public InMemorySegmentBuilder ClearUsers() => Change(static s =>
    {
        s.Included.Clear();
        s.Excluded.Clear();
    });

    /// <summary>Adds a rule: users matching all its conditions are in the segment (no condition matches everyone).</summary>
    /// <param name="configure">Sets the rule's conditions: <c>r => r.When(...)</c>.</param>
    /// <returns>This builder.</returns>
    /// <example>
    /// <code>
    /// flags.Segment("eu-premium").Rule(r => r.When("country", RuleOperator.IsOneOf, "NL", "BE")
    ///                                        .When("plan", RuleOperator.Equal, "premium"));
    /// </code>
    /// </example>
    public InMemorySegmentBuilder Rule(Action<SegmentRuleBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var rule = new SegmentRuleBuilder();
        configure(rule);
        return Change(s => s.Rules.Add(rule.Conditions));
    }

    /// <summary>Removes every rule of the segment.</summary>
    /// <returns>This builder.</returns>
    public InMemorySegmentBuilder ClearRules() => Change(static s => s.Rules.Clear());

    /// <summary>
    /// Removes the segment. Flags whose rules still use it then evaluate to the caller's default with the reason
    /// <c>malformed flag</c> for the users that reach such a rule; a later call on this builder defines it anew.
    /// </summary>
    /// <returns>Whether the segment was defined.</returns>
    public bool Remove() => _owner.RemoveSegment(Name);

    private static void CheckKeys(string[] userKeys)
    {
        ArgumentNullException.ThrowIfNull(userKeys);
        foreach (var userKey in userKeys)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(userKey, nameof(userKeys));
        }
    }

    private InMemorySegmentBuilder Change(Action<SegmentDefinition> change)
    {
        _owner.ChangeSegment(Name, change);
        return this;
    }
}
