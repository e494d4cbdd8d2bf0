using FeatureFlags.Testing.Internal;

namespace FeatureFlags.Testing;

/// <summary>
/// Defines or changes one flag of an <see cref="InMemoryFlags"/>. Every method is one atomic change, visible to the
/// apps at once (with change notifications), and returns the builder for chaining.
/// </summary>
/// <remarks>
/// <para>
/// A user gets, in this order: the flag's <see cref="OffValue"/> when it is <see cref="Off"/>; their
/// <see cref="ForUser"/> value; the value of the first <see cref="Rule(Action{FlagRuleBuilder})"/> they match; the
/// <see cref="ValueForAll"/> value or their bucket of the <see cref="Percentage"/> split. The order of the calls does
/// not matter. Until <see cref="ValueForAll"/> or <see cref="Percentage"/> is given, a boolean flag serves
/// <see langword="false"/> there and any other flag the first value it was given.
/// </para>
/// <para>
/// All the values of one flag have one type, fixed by the first value (a FeatBit flag's variation type); a value of
/// another type throws <see cref="ArgumentException"/> and changes nothing.
/// </para>
/// </remarks>
public sealed class InMemoryFlagBuilder
{
    private readonly InMemoryFlags _owner;

    internal InMemoryFlagBuilder(InMemoryFlags owner, string key)
    {
        _owner = owner;
        Key = key;
    }

    /// <summary>Gets the flag key.</summary>
    public string Key { get; }

    /// <summary>
    /// Turns the flag on. A boolean (or new) flag then serves <see langword="true"/> to everyone a target or rule does
    /// not decide for; any other flag serves its <see cref="ValueForAll"/> value or <see cref="Percentage"/> split again.
    /// </summary>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder On() => Change(static f =>
    {
        if (f.Kind is FlagValueKind.None or FlagValueKind.Boolean)
        {
            f.Accept([true]);
            f.Fallthrough = Serve.Single(true);
        }

        f.IsEnabled = true;
    });

    /// <summary>
    /// Turns the flag off: everyone gets its <see cref="OffValue"/> (<see langword="false"/> for a boolean flag), user
    /// targets and rules included, with the reason kind <see cref="EvaluationReasonKind.Off"/>.
    /// </summary>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder Off() => Change(static f => f.IsEnabled = false);

    /// <summary>Turns the flag on and serves <paramref name="value"/> to everyone a target or rule does not decide for.</summary>
    /// <param name="value">The value.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder ValueForAll(FlagValue value) => Change(f =>
    {
        f.Accept([value]);
        f.Fallthrough = Serve.Single(value);
        f.IsEnabled = true;
    });

    /// <summary>
    /// Turns the flag on and splits everyone a target or rule does not decide for between values, by percentage, with
    /// FeatBit's own bucketing: a user always lands in the same bucket (by user key, or <see cref="BucketBy"/>).
    /// </summary>
    /// <param name="split">Values and their percentages, which add up to 100: <c>("A", 50), ("B", 50)</c>.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder Percentage(params (FlagValue Value, double Percent)[] split)
    {
        var serve = Serve.Percentage(split);
        return Change(f =>
        {
            f.Accept(serve.Values);
            f.Fallthrough = serve;
            f.IsEnabled = true;
        });
    }

    /// <summary>Sets the value served to everyone while the flag is <see cref="Off"/>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder OffValue(FlagValue value) => Change(f =>
    {
        f.Accept([value]);
        f.OffValue = value;
    });

    /// <summary>Serves <paramref name="value"/> to the user with key <paramref name="userKey"/> (an individual target).</summary>
    /// <param name="userKey">The user key (<see cref="FlagUser.Key"/>).</param>
    /// <param name="value">The value.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder ForUser(string userKey, FlagValue value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userKey);
        return ForUsers(value, userKey);
    }

    /// <summary>Serves <paramref name="value"/> to each of the users with the given keys (individual targets).</summary>
    /// <param name="value">The value.</param>
    /// <param name="userKeys">The user keys.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder ForUsers(FlagValue value, params string[] userKeys)
    {
        ArgumentNullException.ThrowIfNull(userKeys);
        foreach (var userKey in userKeys)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(userKey, nameof(userKeys));
        }

        return Change(f =>
        {
            f.Accept([value]);
            foreach (var userKey in userKeys)
            {
                f.Targets[userKey] = value;
            }
        });
    }

    /// <summary>Removes every individual user target.</summary>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder ClearUsers() => Change(static f => f.Targets.Clear());

    /// <summary>Adds a targeting rule after the existing ones, named <c>rule N</c>.</summary>
    /// <param name="configure">Sets the rule's conditions and what it serves: <c>r => r.When(...).Serve(...)</c>.</param>
    /// <returns>This builder.</returns>
    /// <example>
    /// <code>
    /// flags.Flag("discount").Rule(r => r.When("country", RuleOperator.IsOneOf, "NL", "BE")
    ///                                   .When("plan", RuleOperator.Equal, "premium")
    ///                                   .Serve(true));
    /// </code>
    /// </example>
    public InMemoryFlagBuilder Rule(Action<FlagRuleBuilder> configure) => Rule(name: null, configure);

    /// <summary>Adds a named targeting rule after the existing ones; a match has the reason <c>match rule NAME</c>.</summary>
    /// <param name="name">The rule's name, or null for <c>rule N</c>.</param>
    /// <param name="configure">Sets the rule's conditions and what it serves.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder Rule(string? name, Action<FlagRuleBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var rule = new FlagRuleBuilder();
        configure(rule);
        var serve = rule.Served ?? throw new InvalidOperationException($"The rule for flag '{Key}' serves nothing: end it with Serve(...) or Percentage(...).");
        return Change(f =>
        {
            f.Accept(serve.Values);
            var ruleName = string.IsNullOrWhiteSpace(name) ? "rule " + (f.Rules.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : name;
            f.Rules.Add(new RuleDefinition(ruleName, rule.Conditions, serve));
        });
    }

    /// <summary>Removes every targeting rule.</summary>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder ClearRules() => Change(static f => f.Rules.Clear());

    /// <summary>Buckets this flag's percentage splits by a user attribute instead of the user key (FeatBit's dispatch key).</summary>
    /// <param name="attribute">The attribute, for example <c>"company"</c>; users without it share one bucket.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder BucketBy(string attribute)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attribute);
        return Change(f => f.BucketBy = attribute);
    }

    /// <summary>
    /// Includes the flag's rules, <see cref="ValueForAll"/> and <see cref="Percentage"/> split in an experiment: their
    /// evaluation events carry <c>sendToExperiment = true</c>, as for a FeatBit experiment running on all its traffic.
    /// </summary>
    /// <param name="includeTargetedUsers">Whether individually targeted users (<see cref="ForUser"/>) are in it too.</param>
    /// <returns>This builder.</returns>
    public InMemoryFlagBuilder InExperiment(bool includeTargetedUsers = false) => Change(f =>
    {
        f.InExperiment = true;
        f.ExperimentIncludesTargets = includeTargetedUsers;
    });

    /// <summary>Removes the flag (see <see cref="InMemoryFlags.Remove"/>); a later call on this builder defines it anew.</summary>
    /// <returns>Whether the flag was defined.</returns>
    public bool Remove() => _owner.Remove(Key);

    private InMemoryFlagBuilder Change(Action<FlagDefinition> change)
    {
        _owner.Change(Key, change);
        return this;
    }
}
