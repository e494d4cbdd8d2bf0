using FeatureFlags.Events;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>The events recorder: what the SDK would send, recorded at once.</summary>
public sealed class RecordedEventsTests : IDisposable
{
    private static readonly FlagUser Alice = FlagUser.Create("alice");
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Evaluation_Successful_IsRecordedAtOnceWithTheVariation()
    {
        _h.Flags.Flag("ui").ValueForAll("v1").ForUser("alice", "v2");

        _h.Client.StringVariation("ui", Alice, "default");

        var e = Assert.Single(_h.Flags.Events.Evaluations);
        Assert.Equal("ui", e.FlagKey);
        Assert.Equal("alice", e.UserKey);
        Assert.Same(Alice, e.User);
        Assert.Equal("v2", e.Value);
        Assert.False(string.IsNullOrEmpty(e.VariationId));
        Assert.Equal(_h.Client.StringVariationDetail("ui", Alice, "default").VariationId, e.VariationId);
        Assert.False(e.SendToExperiment);
    }

    [Fact]
    public void Evaluation_MissingFlagOrWrongType_IsNotRecorded()
    {
        _h.Flags.Flag("s").ValueForAll("blue");

        _h.Client.BoolVariation("missing", Alice);
        _h.Client.IntVariation("s", Alice);
        _h.Client.JsonVariation("s", Alice, new Banner("d", 0), TestJson.Default.Banner);

        Assert.Empty(_h.Flags.Events.Evaluations);
    }

    [Fact]
    public void Evaluation_ByTheFlagTracker_IsNotRecorded()
    {
        var flag = _h.Flags.Flag("f").On();
        using var subscription = _h.Tracker.OnFlagValueChanged("f", Alice, _ => { });

        flag.Off();
        _h.Delivered(); // the tracker's evaluation has run

        Assert.Empty(_h.Flags.Events.Evaluations);
    }

    [Fact]
    public void Track_RecordsNameAndValue_DefaultValueIsOne()
    {
        _h.Client.Track(Alice, "purchase", 26.97);
        _h.Client.Track(Alice, "click");

        Assert.Collection(
            _h.Flags.Events.Tracks,
            t =>
            {
                Assert.Equal("purchase", t.EventName);
                Assert.Equal(26.97, t.Value);
                Assert.Equal("alice", t.UserKey);
            },
            t => Assert.Equal(1, t.Value));
    }

    [Fact]
    public void Track_InvalidInput_IsRefusedAsInProduction()
    {
        _h.Client.Track(Alice, " ");
        _h.Client.Track(Alice, "x", double.NaN);

        Assert.Empty(_h.Flags.Events.Tracks);
    }

    [Fact]
    public void Identify_IsRecorded()
    {
        _h.Client.Identify(Alice);

        Assert.Equal("alice", Assert.Single(_h.Flags.Events.Identifies).UserKey);
    }

    [Fact]
    public void Sequence_OrdersEventsOfAllKinds()
    {
        _h.Flags.Flag("f").On();

        _h.Client.Identify(Alice);
        _h.Client.BoolVariation("f", Alice);
        _h.Client.Track(Alice, "after");

        var identify = Assert.Single(_h.Flags.Events.Identifies);
        var evaluation = Assert.Single(_h.Flags.Events.Evaluations);
        var track = Assert.Single(_h.Flags.Events.Tracks);
        Assert.True(identify.Sequence < evaluation.Sequence && evaluation.Sequence < track.Sequence);
        Assert.Equal("#3 track after = 1 for alice", track.ToString());
    }

    [Fact]
    public void Clear_ForgetsEverything()
    {
        _h.Flags.Flag("f").On();
        _h.Client.BoolVariation("f", Alice);
        _h.Client.Track(Alice, "x");
        _h.Client.Identify(Alice);

        _h.Flags.Events.Clear();

        Assert.Empty(_h.Flags.Events.Evaluations);
        Assert.Empty(_h.Flags.Events.Tracks);
        Assert.Empty(_h.Flags.Events.Identifies);
    }

    [Fact]
    public async Task FlushAsync_CompletesAtOnce()
    {
        _h.Client.Track(Alice, "x");

        await _h.Client.FlushAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Single(_h.Flags.Events.Tracks);
    }

    [Fact]
    public void Timestamp_ComesFromTheAppsTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var flags = new InMemoryFlags();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddInMemoryFeatureFlags(flags);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IFeatureFlagClient>().Track(Alice, "x");

        Assert.Equal(time.GetUtcNow(), Assert.Single(flags.Events.Tracks).Timestamp);
    }

    [Fact]
    public void DisableEvents_NothingIsRecorded()
    {
        using var h = new Harness(config: new Dictionary<string, string?> { ["FeatureFlags:Events:Enabled"] = "false" });
        h.Flags.Flag("f").On();

        h.Client.BoolVariation("f", Alice);
        h.Client.Track(Alice, "x");

        Assert.Empty(h.Flags.Events.Evaluations);
        Assert.Empty(h.Flags.Events.Tracks);
    }

    [Fact]
    public async Task AppsOwnSink_ThatThrows_NeverBreaksTheCallerAndTheTestsRecorderWins()
    {
        // The app's sink (public UseEventSink) is replaced by the package's recorder; a sink that throws is the SDK's
        // concern: the caller's evaluation or Track never sees it.
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddFeatureFlags(static _ => { }).UseEventSink(static _ => new ThrowingSink());
        services.AddInMemoryFeatureFlags(flags);
        await using var provider = services.BuildServiceProvider();
        await Harness.StartAsync(provider, TestContext.Current.CancellationToken);
        var client = provider.GetRequiredService<IFeatureFlagClient>();

        Assert.True(client.BoolVariation("f", Alice));
        client.Track(Alice, "x", 2);
        client.Identify(Alice);

        Assert.Single(flags.Events.Evaluations);
        Assert.Equal(2, Assert.Single(flags.Events.Tracks).Value);
        Assert.Single(flags.Events.Identifies);
        var (evaluation, track, identify) = (flags.Events.Evaluations[0], flags.Events.Tracks[0], flags.Events.Identifies[0]);
        Assert.True(evaluation.Sequence < track.Sequence && track.Sequence < identify.Sequence);
    }

    [Fact]
    public async Task SinkThatThrows_EvaluationStillReturnsItsValue()
    {
        var flags = new InMemoryFlags();
        flags.Flag("f").On();
        var services = new ServiceCollection();
        services.AddInMemoryFeatureFlags(flags).UseEventSink(static _ => new ThrowingSink()); // replaces the recorder
        await using var provider = services.BuildServiceProvider();
        await Harness.StartAsync(provider, TestContext.Current.CancellationToken);
        var client = provider.GetRequiredService<IFeatureFlagClient>();

        Assert.True(client.BoolVariation("f", Alice));
        client.Track(Alice, "x");

        Assert.Empty(flags.Events.Evaluations);
    }

    private sealed class ThrowingSink : IInsightEventSink
    {
        public void Record(in InsightEventRecord insightEvent) => throw new InvalidOperationException("sink failure");
    }
}
