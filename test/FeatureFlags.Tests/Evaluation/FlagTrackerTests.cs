using System.Globalization;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// Flag-change notifications (protocol §6.7, FeatBit Python's <c>flag_tracker</c>): "maybe changed" listeners per flag,
/// "value changed" listeners per flag and user, driven by real store commits.
/// </summary>
public sealed class FlagTrackerTests
{
    private const string SegmentId = "0779d76b-afc6-4886-ab65-af8c004273ad";

    private static readonly FlagUser Alice = FlagUser.Create("alice");
    private static readonly FlagUser Bob = FlagUser.Create("bob");

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void OnFlagChanged_PatchOfThatFlag_FiresOnlyForThatFlag()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("a", 1), Targeted("b", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var a = new List<FlagChangedEvent>();
        var b = new List<FlagChangedEvent>();
        using var subA = tracker.OnFlagChanged("a", a.Add);
        using var subB = tracker.OnFlagChanged("b", b.Add);

        store.ApplyPatch([Targeted("a", 5, "alice")], []);
        store.Delivered();

        var e = Assert.Single(a);
        Assert.Equal(("a", false, 5L), (e.FlagKey, e.IsFullSync, e.Version));
        Assert.Empty(b);
    }

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void OnFlagChanged_IgnoredOlderPatch_DoesNotFire()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("a", 10)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var calls = 0;
        using var sub = tracker.OnFlagChanged("a", _ => calls++);

        store.ApplyPatch([Targeted("a", 9, "alice")], []);
        store.Delivered();

        Assert.Equal(0, calls);
    }

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void OnFlagChanged_SegmentUsedByFlagChanges_FiresForThatFlagOnly()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([SegmentFlag("uses-segment", 1), Targeted("other", 1)], [Segment(1, "alice")]);
        store.Delivered();
        using var tracker = Tracker(store);
        var uses = new List<FlagChangedEvent>();
        var other = new List<FlagChangedEvent>();
        using var subUses = tracker.OnFlagChanged("uses-segment", uses.Add);
        using var subOther = tracker.OnFlagChanged("other", other.Add);

        store.ApplyPatch([], [Segment(7, "bob")]);
        store.Delivered();

        var e = Assert.Single(uses);
        Assert.Equal(("uses-segment", false, 7L), (e.FlagKey, e.IsFullSync, e.Version));
        Assert.Empty(other);
    }

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void OnFlagChanged_FullSync_FiresOnlyForChangedAddedAndRemovedFlags()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("same", 1), Targeted("changed", 1), Targeted("removed", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var events = new List<FlagChangedEvent>();
        var subs = new[] { "same", "changed", "removed", "added" }.Select(k => tracker.OnFlagChanged(k, events.Add)).ToList();

        store.ApplyFull([Targeted("same", 1), Targeted("changed", 2, "alice"), Targeted("added", 3)], []);
        store.Delivered();

        Assert.Equal(["added", "changed", "removed"], events.Select(e => e.FlagKey).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal((true, 3L), (e.IsFullSync, e.Version)));
        subs.ForEach(s => s.Dispose());
    }

    [Fact]
    public void OnFlagValueChanged_PatchChangesAnotherUsersTarget_DoesNotFireForThisUser()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var alice = new List<FlagValueChangedEvent>();
        var bob = new List<FlagValueChangedEvent>();
        using var subAlice = tracker.OnFlagValueChanged("f", Alice, alice.Add);
        using var subBob = tracker.OnFlagValueChanged("f", Bob, bob.Add);

        store.ApplyPatch([Targeted("f", 2, "bob")], []);
        store.Delivered();

        Assert.Empty(alice);
        var e = Assert.Single(bob);
        Assert.Equal(("f", "bob", TestFlags.Miss, TestFlags.Hit, 2L), (e.FlagKey, e.User.Key, e.OldValue, e.NewValue, e.Version));
        Assert.Same(Bob, e.User);
    }

    [Fact]
    [Trait("Conformance", "NOTE-01")]
    public void OnFlagValueChanged_RuleChangeMovesThisUser_FiresWithOldAndNewValues()
    {
        var store = Fixtures.NewStore();
        var frenchAlice = FlagUser.Builder("alice").Country("fr").Build();
        store.ApplyFull([CountryRule("f", 1, "us")], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var events = new List<FlagValueChangedEvent>();
        using var sub = tracker.OnFlagValueChanged("f", frenchAlice, events.Add);

        store.ApplyPatch([CountryRule("f", 2, "de")], []); // still a miss for her: no event
        store.Delivered();
        store.ApplyPatch([CountryRule("f", 3, "fr")], []); // now a hit
        store.Delivered();
        store.ApplyPatch([CountryRule("f", 4, "us")], []); // and back
        store.Delivered();

        Assert.Equal(
            [(TestFlags.Miss, TestFlags.Hit, 3L), (TestFlags.Hit, TestFlags.Miss, 4L)],
            events.Select(e => (e.OldValue, e.NewValue, e.Version)));
    }

    [Fact]
    [Trait("Conformance", "NOTE-02")]
    public void OnFlagValueChanged_SegmentChangeMovesThisUser_Fires()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([SegmentFlag("f", 1)], [Segment(1, "alice")]);
        store.Delivered();
        using var tracker = Tracker(store);
        var alice = new List<FlagValueChangedEvent>();
        var carol = new List<FlagValueChangedEvent>();
        using var subAlice = tracker.OnFlagValueChanged("f", Alice, alice.Add);
        using var subCarol = tracker.OnFlagValueChanged("f", FlagUser.Create("carol"), carol.Add);

        store.ApplyPatch([], [Segment(2, "bob")]);
        store.Delivered();

        var e = Assert.Single(alice);
        Assert.Equal((TestFlags.Hit, TestFlags.Miss, 2L), (e.OldValue, e.NewValue, e.Version));
        Assert.Empty(carol);
    }

    [Fact]
    public void OnFlagValueChanged_FlagArchived_FiresChangeToEmptyString()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1, "alice")], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var events = new List<FlagValueChangedEvent>();
        using var sub = tracker.OnFlagValueChanged("f", Alice, events.Add);

        var archived = Targeted("f", 2, "alice");
        archived.IsArchived = true;
        store.ApplyPatch([archived], []);
        store.Delivered();

        var e = Assert.Single(events);
        Assert.Equal((TestFlags.Hit, string.Empty, 2L), (e.OldValue, e.NewValue, e.Version));
    }

    [Fact]
    public void OnFlagValueChanged_SubscribedBeforeDataLoaded_FirstFullSyncFiresFromEmptyString()
    {
        var store = Fixtures.NewStore();
        using var tracker = Tracker(store);
        var events = new List<FlagValueChangedEvent>();
        using var sub = tracker.OnFlagValueChanged("f", Alice, events.Add);

        store.ApplyFull([Targeted("f", 1, "alice")], []);
        store.Delivered();

        var e = Assert.Single(events);
        Assert.Equal((string.Empty, TestFlags.Hit, 1L), (e.OldValue, e.NewValue, e.Version));
    }

    [Fact]
    public void Dispose_Subscriptions_StopNotifications()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var changed = 0;
        var valueChanged = 0;
        var maybe = tracker.OnFlagChanged("f", _ => changed++);
        var value = tracker.OnFlagValueChanged("f", Alice, _ => valueChanged++);
        store.ApplyPatch([Targeted("f", 2, "alice")], []);
        store.Delivered();

        maybe.Dispose();
        value.Dispose();
        value.Dispose(); // idempotent
        store.ApplyPatch([Targeted("f", 3)], []);
        store.Delivered();

        Assert.Equal((1, 1), (changed, valueChanged));
    }

    [Fact]
    public void Dispose_Tracker_UnsubscribesFromStoreAndRejectsNewSubscriptions()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1)], []);
        store.Delivered();
        var tracker = Tracker(store);
        var calls = 0;
        var sub = tracker.OnFlagChanged("f", _ => calls++);

        tracker.Dispose();
        tracker.Dispose();
        store.ApplyPatch([Targeted("f", 2)], []);
        store.Delivered();
        sub.Dispose();

        Assert.Equal(0, calls);
        Assert.Throws<ObjectDisposedException>(() => tracker.OnFlagChanged("f", _ => { }));
    }

    [Fact]
    [Trait("Conformance", "NOTE-04")]
    public void Handler_Throws_IsLoggedAndOtherHandlersStillRun()
    {
        var logger = new FakeLogger<FlagTracker>();
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store, logger);
        var calls = new List<string>();
        using var first = tracker.OnFlagChanged("f", _ => calls.Add("first"));
        using var throwing = tracker.OnFlagChanged("f", _ => throw new InvalidOperationException("boom"));
        using var throwingValue = tracker.OnFlagValueChanged("f", Alice, _ => throw new InvalidOperationException("boom"));
        using var last = tracker.OnFlagValueChanged("f", Alice, e => calls.Add("last:" + e.NewValue));

        store.ApplyPatch([Targeted("f", 2, "alice")], []);
        store.Delivered();
        store.ApplyPatch([Targeted("f", 3)], []);
        store.Delivered();

        Assert.Equal(["first", "last:hit", "first", "last:miss"], calls);
        var errors = logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Error).ToList();
        Assert.Equal([1101, 1102, 1101, 1102], errors.Select(r => r.Id.Id));
        Assert.All(errors, r => Assert.IsType<InvalidOperationException>(r.Exception));
        Assert.Contains("'f'", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "NOTE-05")]
    public void Handler_DisposesOwnAndLaterSubscriptions_NoDeadlockAndNoFurtherCalls()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var calls = new List<string>();
        IDisposable? self = null;
        IDisposable? later = null;
        self = tracker.OnFlagChanged("f", _ =>
        {
            calls.Add("self");
            self!.Dispose();
            later!.Dispose();
        });
        later = tracker.OnFlagValueChanged("f", Alice, _ => calls.Add("later"));
        using var survivor = tracker.OnFlagChanged("f", _ => calls.Add("survivor"));

        store.ApplyPatch([Targeted("f", 2, "alice")], []);
        store.Delivered();
        store.ApplyPatch([Targeted("f", 3)], []);
        store.Delivered();

        Assert.Equal(["self", "survivor", "survivor"], calls);
    }

    [Fact]
    [Trait("Conformance", "NOTE-05")]
    public void Handler_SubscribesDuringNotification_NewListenerSeesOnlyLaterCommits()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("f", 1)], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var added = new List<IDisposable>();
        var maybe = new List<long>();
        var values = new List<(string Old, string New)>();
        using var outer = tracker.OnFlagChanged("f", e =>
        {
            if (e.Version == 2)
            {
                added.Add(tracker.OnFlagChanged("f", inner => maybe.Add(inner.Version)));
                added.Add(tracker.OnFlagValueChanged("f", Alice, inner => values.Add((inner.OldValue, inner.NewValue))));
            }
        });

        store.ApplyPatch([Targeted("f", 2, "alice")], []); // alice: miss -> hit; the new value listener's baseline is "hit"
        store.Delivered();
        store.ApplyPatch([Targeted("f", 3, "alice", "bob")], []); // alice unchanged
        store.Delivered();
        store.ApplyPatch([Targeted("f", 4)], []); // alice: hit -> miss
        store.Delivered();

        Assert.Equal([3L, 4L], maybe);
        Assert.Equal([(TestFlags.Hit, TestFlags.Miss)], values);
        added.ForEach(d => d.Dispose());
    }

    [Fact]
    [Trait("Conformance", "NOTE-03")]
    public void Notifications_AcrossSeveralCommits_ArriveInCommitOrder()
    {
        var store = Fixtures.NewStore();
        store.ApplyFull([Targeted("a", 1), SegmentFlag("s", 1)], [Segment(1, "bob")]);
        store.Delivered();
        using var tracker = Tracker(store);
        var log = new List<string>();
        using var a = tracker.OnFlagChanged("a", e => log.Add($"a@{e.Version}"));
        using var s = tracker.OnFlagChanged("s", e => log.Add($"s@{e.Version}"));
        using var aliceA = tracker.OnFlagValueChanged("a", Alice, e => log.Add($"a:{e.NewValue}@{e.Version}"));
        using var aliceS = tracker.OnFlagValueChanged("s", Alice, e => log.Add($"s:{e.NewValue}@{e.Version}"));

        store.ApplyPatch([Targeted("a", 2, "alice")], []);
        store.Delivered();
        store.ApplyPatch([], [Segment(3, "alice")]);
        store.Delivered();
        store.ApplyPatch([Targeted("a", 4)], []);
        store.Delivered();
        store.ApplyFull([Targeted("a", 5, "alice"), SegmentFlag("s", 1)], [Segment(5, "bob")]);
        store.Delivered();

        Assert.Equal(
            ["a@2", "a:hit@2", "s@3", "s:hit@3", "a@4", "a:miss@4"],
            log.Take(6));

        // The full sync lists both flags (in the store's order); each flag's listeners run in subscription order.
        var last = log.Skip(6).ToList();
        Assert.Equal(["a:hit@5", "a@5", "s:miss@5", "s@5"], last.Order(StringComparer.Ordinal));
        Assert.Equal(last.IndexOf("a@5") + 1, last.IndexOf("a:hit@5"));
        Assert.Equal(last.IndexOf("s@5") + 1, last.IndexOf("s:miss@5"));
    }

    [Fact]
    [Trait("Conformance", "API-03")]
    public async Task OnFlagValueChanged_SubscribingWhileCommitsRace_MissesNoChange()
    {
        const int Commits = 300;
        const int Subscribers = 40;
        var store = Fixtures.NewStore();
        store.ApplyFull([OffFlag("f", 1, "1")], []);
        store.Delivered();
        using var tracker = Tracker(store);
        var logs = new List<FlagValueChangedEvent>[Subscribers];
        var subs = new IDisposable[Subscribers];
        using var start = new Barrier(2);

        var writer = Task.Run(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (var v = 2; v <= Commits; v++)
            {
                store.ApplyPatch([OffFlag("f", v, v.ToString(CultureInfo.InvariantCulture))], []);
            }
        }, TestContext.Current.CancellationToken);
        var subscriber = Task.Run(() =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            for (var i = 0; i < Subscribers; i++)
            {
                var log = logs[i] = [];
                subs[i] = tracker.OnFlagValueChanged("f", Alice, log.Add);
            }
        }, TestContext.Current.CancellationToken);
        await Task.WhenAll(writer, subscriber).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);

        store.ApplyPatch([OffFlag("f", Commits + 1, "final")], []);
        store.Delivered();

        for (var i = 0; i < Subscribers; i++)
        {
            var log = logs[i];

            // Every commit changes the value by one, so a listener that missed a commit would report a step of two
            // or more, and one that missed the last commits would not report "300" as the value before "final".
            for (var j = 0; j < log.Count - 1; j++)
            {
                Assert.Equal(int.Parse(log[j].OldValue, CultureInfo.InvariantCulture) + 1, int.Parse(log[j].NewValue, CultureInfo.InvariantCulture));
                Assert.Equal(log[j].NewValue, log[j + 1].OldValue);
            }

            Assert.Equal(("300", "final"), (log[^1].OldValue, log[^1].NewValue));
            subs[i].Dispose();
        }
    }

    [Fact]
    public void Subscribe_InvalidArguments_Throw()
    {
        using var tracker = Tracker(Fixtures.NewStore());

        Assert.Throws<ArgumentNullException>(() => tracker.OnFlagChanged(null!, _ => { }));
        Assert.Throws<ArgumentException>(() => tracker.OnFlagChanged(" ", _ => { }));
        Assert.Throws<ArgumentNullException>(() => tracker.OnFlagChanged("f", null!));
        Assert.Throws<ArgumentException>(() => tracker.OnFlagValueChanged("", Alice, _ => { }));
        Assert.Throws<ArgumentNullException>(() => tracker.OnFlagValueChanged("f", null!, _ => { }));
        Assert.Throws<ArgumentNullException>(() => tracker.OnFlagValueChanged("f", Alice, null!));
    }

    private static FlagTracker Tracker(FlagStore store, FakeLogger<FlagTracker>? logger = null)
        => new(store, Fixtures.Client(store), logger ?? new FakeLogger<FlagTracker>());

    /// <summary>Serves "hit" to the targeted users and "miss" to everyone else.</summary>
    private static FlagDto Targeted(string key, long version, params string[] hitUsers)
        => At(TestFlags.Flag(key).HitMiss().Target(TestFlags.HitId, hitUsers).Fallthrough(TestFlags.MissId).Build(), version);

    /// <summary>Serves "hit" to users from <paramref name="country"/> and "miss" to everyone else.</summary>
    private static FlagDto CountryRule(string key, long version, string country)
        => At(TestFlags.OneRule(key, TestFlags.Condition(FlagUser.CountryAttribute, "Equal", country)), version);

    /// <summary>Serves "hit" to users in the segment and "miss" to everyone else.</summary>
    private static FlagDto SegmentFlag(string key, long version)
        => At(TestFlags.OneRule(key, TestFlags.SegmentCondition(TestFlags.InSegment, SegmentId)), version);

    /// <summary>An off flag serving <paramref name="value"/> to everyone.</summary>
    private static FlagDto OffFlag(string key, long version, string value)
        => At(TestFlags.Flag(key).Variation("v", value).Off("v").Fallthrough("v").Build(), version);

    private static SegmentDto Segment(long version, params string[] included)
    {
        var segment = TestFlags.Segment(SegmentId).Included(included).Build();
        segment.UpdatedAt = version;
        return segment;
    }

    private static FlagDto At(FlagDto flag, long version)
    {
        flag.UpdatedAt = version;
        return flag;
    }
}
