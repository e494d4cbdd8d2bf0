using FeatureFlags.DataSystem;
using FeatureFlags.Testing.Internal;

namespace FeatureFlags.Testing;

/// <summary>
/// An in-memory flag source for tests: define flags in code, hand it to <c>AddInMemoryFeatureFlags</c>, and the app's
/// real SDK (store, evaluator, <see cref="IFeatureFlagClient"/>, <see cref="IFeatureFlags"/>, gates, change
/// notifications) serves them, with no FeatBit server, secret or network. Evaluation and <c>Track</c> events are
/// recorded in <see cref="Events"/>.
/// </summary>
/// <remarks>
/// <para>
/// Flags are real FeatBit flags: each definition is turned into the wire model the server would send and compiled by
/// the SDK's own compiler, so targets, rules, percentage rollouts and experiment inclusion behave exactly as in
/// production. Precedence is FeatBit's: the off value when the flag is off, then the user's
/// <see cref="InMemoryFlagBuilder.ForUser"/> value, then the first matching rule, then the
/// <see cref="InMemoryFlagBuilder.ValueForAll"/> value or <see cref="InMemoryFlagBuilder.Percentage"/> split. Rules
/// may target user segments defined with <see cref="Segment"/>.
/// </para>
/// <para>
/// Every builder call is one atomic change, applied at once to every app this object is attached to: it bumps the
/// version of the flag (or, for a segment, of every flag that uses it); evaluations see it when the call returns.
/// <see cref="IFlagStore.FlagsChanged"/> and the <see cref="IFlagTracker"/> handlers run shortly after, on the SDK's
/// notification thread, in commit order (a test that asserts on a handler's effect waits for it, with a bounded
/// timeout). <see cref="Update"/> groups several changes into one. Thread-safe; a test may change flags while requests run.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var flags = new InMemoryFlags();
/// flags.Flag("new-checkout").On();
/// flags.Flag("checkout-ui").ValueForAll("v1").ForUser("alice", "v2");
/// flags.Flag("discount").Rule(r => r.When("country", RuleOperator.IsOneOf, "NL", "BE").Serve(true));
/// flags.Flag("pricing").Percentage(("A", 50), ("B", 50));
///
/// using var client = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddInMemoryFeatureFlags(flags)))
///                           .CreateClient();
/// await client.PostAsync("/buy?user=alice", null);
/// Assert.Contains(flags.Events.Tracks, t => t.EventName == "purchase");
/// </code>
/// </example>
public sealed partial class InMemoryFlags
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FlagDefinition> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SegmentDefinition> _segments = new(StringComparer.Ordinal);
    private readonly List<IFlagDataSourceUpdates> _apps = [];
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingSegments = new(StringComparer.Ordinal);
    private long _version;
    private int _batchDepth;
    private FeatureFlagsState _state = FeatureFlagsState.Ready;
    private string? _error;

    /// <summary>Gets the evaluation, <c>Track</c> and <c>Identify</c> events the apps using these flags recorded.</summary>
    public RecordedEvents Events { get; } = new();

    /// <summary>Gets the keys of the flags defined now, in ordinal order.</summary>
    public IReadOnlyList<string> FlagKeys
    {
        get
        {
            lock (_lock)
            {
                return [.. _flags.Values.Where(static f => f.IsDefined).Select(static f => f.Key).Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Gets the names of the segments defined now, in ordinal order.</summary>
    public IReadOnlyList<string> SegmentNames
    {
        get
        {
            lock (_lock)
            {
                return [.. _segments.Values.Where(static s => s.IsDefined).Select(static s => s.Name).Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Gets a builder for the flag <paramref name="key"/>, which defines or changes it.</summary>
    /// <param name="key">The flag key.</param>
    /// <returns>The flag's builder. Nothing is defined until one of its methods is called.</returns>
    /// <remarks>Builders are cheap and stay valid: calling <c>Flag(key)</c> twice gives builders of the same flag.</remarks>
    /// <example>
    /// <code>
    /// flags.Flag("beta").ValueForAll(false).ForUser("alice", true);
    /// </code>
    /// </example>
    public InMemoryFlagBuilder Flag(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return new InMemoryFlagBuilder(this, key);
    }

    /// <summary>
    /// Gets a builder for the user segment <paramref name="name"/>, which defines or changes it. Flag rules use it with
    /// <see cref="FlagRuleBuilder.InSegment"/> and <see cref="FlagRuleBuilder.NotInSegment"/>.
    /// </summary>
    /// <param name="name">The segment's name in the test (the SDK sees a GUID derived from it, as FeatBit ids are).</param>
    /// <returns>The segment's builder. Nothing is defined until one of its methods is called.</returns>
    /// <remarks>
    /// Changing a segment is one atomic change like a flag change: every flag whose rules use the segment gets a new
    /// version and its change notifications. A flag rule that uses a segment that is not defined (never, or no longer)
    /// makes the flag evaluate to the caller's default with the reason kind <see cref="EvaluationReasonKind.MalformedFlag"/>
    /// (<c>malformed flag</c>) for the users that reach the rule, as the SDK does with such data from a FeatBit server.
    /// </remarks>
    /// <example>
    /// <code>
    /// flags.Segment("beta-testers").Include("alice", "bob").Exclude("carol")
    ///      .Rule(r => r.When("plan", RuleOperator.IsOneOf, "premium"));
    /// flags.Flag("new-search").Rule(r => r.InSegment("beta-testers").Serve(true));
    /// </code>
    /// </example>
    public InMemorySegmentBuilder Segment(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new InMemorySegmentBuilder(this, name);
    }

    /// <summary>Removes a flag: evaluations then return the caller's default with the reason "flag not found".</summary>
    /// <param name="key">The flag key.</param>
    /// <returns>Whether the flag was defined.</returns>
    public bool Remove(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        lock (_lock)
        {
            if (!_flags.Remove(key, out var removed) || !removed.IsDefined)
            {
                return false;
            }

            Commit(key);
            return true;
        }
    }

    /// <summary>Removes every flag (in one change); segments stay (<see cref="Reset"/> removes them too).</summary>
    public void RemoveAll()
    {
        lock (_lock)
        {
            Update(flags =>
            {
                foreach (var key in flags._flags.Keys.ToArray())
                {
                    flags.Remove(key);
                }
            });
        }
    }

    /// <summary>
    /// Puts everything back as a new <see cref="InMemoryFlags"/> has it: no flags, no segments, no recorded events,
    /// status <see cref="FeatureFlagsState.Ready"/>. For a host shared by several tests (a class fixture), at the start
    /// of each.
    /// </summary>
    public void Reset()
    {
        lock (_lock)
        {
            Update(flags =>
            {
                flags.RemoveAll();
                foreach (var name in flags._segments.Keys.ToArray())
                {
                    flags.RemoveSegment(name);
                }
            });
            Events.Clear();
            SetStatus(FeatureFlagsState.Ready);
        }
    }

    /// <summary>Applies several changes as one: apps see all of them or none, and one notification per flag.</summary>
    /// <param name="changes">
    /// Changes made through this object, to flags and segments (for example <c>f => { f.Flag("a").On(); f.Flag("b").Off(); }</c>).
    /// </param>
    /// <remarks>Other threads that change these flags wait until <paramref name="changes"/> returns.</remarks>
    public void Update(Action<InMemoryFlags> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_lock)
        {
            _batchDepth++;
            try
            {
                changes(this);
            }
            finally
            {
                if (--_batchDepth == 0 && (_pending.Count > 0 || _pendingSegments.Count > 0))
                {
                    var keys = _pending.ToArray();
                    var names = _pendingSegments.ToArray();
                    _pending.Clear();
                    _pendingSegments.Clear();
                    Publish(keys, names);
                }
            }
        }
    }

    /// <summary>
    /// Serves <paramref name="value"/> to everyone for <paramref name="key"/> until the returned scope is disposed, then
    /// puts the flag back as it was (or removes it if it was not defined).
    /// </summary>
    /// <param name="key">The flag key.</param>
    /// <param name="value">The value every user gets meanwhile; any type.</param>
    /// <returns>The scope; dispose nested scopes in reverse order.</returns>
    /// <example>
    /// <code>
    /// using (flags.Use("new-checkout", false))
    /// {
    ///     Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/checkout")).StatusCode);
    /// }
    /// </code>
    /// </example>
    public IDisposable Use(string key, FlagValue value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var replacement = new FlagDefinition(key);
        replacement.Accept([value]);
        replacement.Fallthrough = Serve.Single(value);
        replacement.IsDefined = true;
        lock (_lock)
        {
            var previous = _flags.TryGetValue(key, out var existing) && existing.IsDefined ? existing.Clone() : null;
            _flags[key] = replacement;
            Commit(key);
            return new Scope(this, key, previous);
        }
    }

    /// <summary>
    /// Sets the status the apps report (<see cref="IFeatureFlagsStatusProvider"/>, the health check), as a data source
    /// would: <see cref="FeatureFlagsState.Ready"/> at first.
    /// </summary>
    /// <param name="state">
    /// The state to report: <see cref="FeatureFlagsState.Ready"/>, <see cref="FeatureFlagsState.Interrupted"/> or
    /// <see cref="FeatureFlagsState.Off"/>. The app's data system owns the status, so an app that has its flags never
    /// goes back to <see cref="FeatureFlagsState.Initializing"/>: that state records only <paramref name="error"/>.
    /// </param>
    /// <param name="error">The last error to report, if any.</param>
    /// <remarks>
    /// Flags keep being served whatever the state, as they are when a real connection drops. An app started later
    /// reports Ready first (its flags are loaded), then this state.
    /// </remarks>
    public void SetStatus(FeatureFlagsState state, string? error = null)
    {
        lock (_lock)
        {
            _state = state;
            _error = error;
            foreach (var app in _apps)
            {
                app.UpdateStatus(state, error);
            }
        }
    }
}
