using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>Changes during a test: visible at once, versioned, and announced through the store and the tracker.</summary>
public sealed class RuntimeChangeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly FlagUser Alice = FlagUser.Create("alice");
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Change_IsVisibleAtOnce_AndBumpsTheVersion()
    {
        var flag = _h.Flags.Flag("f").On();
        var before = _h.Store.Version;

        flag.Off();

        Assert.False(_h.Client.BoolVariation("f", Alice, defaultValue: true));
        Assert.True(_h.Store.Version > before);
    }

    [Fact]
    public async Task Change_FiresFlagValueChangedWithOldAndNewValue()
    {
        var flag = _h.Flags.Flag("ui").ValueForAll("v1");
        var changed = new TaskCompletionSource<FlagValueChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _h.Tracker.OnFlagValueChanged("ui", Alice, e => changed.TrySetResult(e));

        flag.ForUser("alice", "v2");

        var e = await changed.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal("v1", e.OldValue);
        Assert.Equal("v2", e.NewValue);
        Assert.Equal(_h.Store.Version, e.Version);
    }

    [Fact]
    public void Change_NotificationsAreDeliveredAfterTheCall()
    {
        var flag = _h.Flags.Flag("f").On();
        var seen = new List<string>();
        using var subscription = _h.Tracker.OnFlagChanged("f", e => seen.Add(e.FlagKey));

        flag.Off();
        _h.Delivered();

        Assert.Equal(["f"], seen);
    }

    [Fact]
    public void ChangeForOtherUsersOnly_DoesNotFireThisUsersValueChange()
    {
        var flag = _h.Flags.Flag("ui").ValueForAll("v1");
        var fired = 0;
        using var subscription = _h.Tracker.OnFlagValueChanged("ui", Alice, _ => fired++);

        flag.ForUser("bob", "v2");
        _h.Delivered();

        Assert.Equal(0, fired);
    }

    [Fact]
    public void Update_SeveralFlags_OneStoreChangeListingThemAll()
    {
        _h.Flags.Flag("a").On();
        var changes = new List<FlagsChangedEventArgs>();
        _h.Store.FlagsChanged += (_, e) => changes.Add(e);

        _h.Flags.Update(f =>
        {
            f.Flag("a").Off();
            f.Flag("b").ValueForAll("x").ForUser("alice", "y");
            Assert.False(_h.Store.ContainsFlag("b")); // nothing is applied before the update ends
        });
        _h.Delivered();

        var change = Assert.Single(changes);
        Assert.Equal(["a", "b"], change.FlagKeys.Order(StringComparer.Ordinal));
        Assert.False(_h.Client.BoolVariation("a", Alice, defaultValue: true));
        Assert.Equal("y", _h.Client.StringVariation("b", Alice, "default"));
    }

    [Fact]
    public async Task Change_FromAnotherThreadWhileEvaluating_EveryReadIsAWholeValue()
    {
        _h.Flags.Flag("n").ValueForAll(0);
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(
            () =>
            {
                var seen = 0;
                while (!stop.IsCancellationRequested)
                {
                    var value = _h.Client.IntVariation("n", Alice, -1);
                    Assert.InRange(value, seen, 200); // never the default, never backwards
                    seen = value;
                }
            },
            TestContext.Current.CancellationToken);

        for (var i = 1; i <= 200; i++)
        {
            _h.Flags.Flag("n").ValueForAll(i);
        }

        await stop.CancelAsync();
        await reader.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(200, _h.Client.IntVariation("n", Alice));
    }

    [Fact]
    public void SetStatus_IsReported()
    {
        var status = (IFeatureFlagsStatusProvider)_h.Services.GetService(typeof(IFeatureFlagsStatusProvider))!;
        Assert.Equal(FeatureFlagsState.Ready, status.Current.State);

        _h.Flags.SetStatus(FeatureFlagsState.Interrupted, "connection lost");

        Assert.Equal(FeatureFlagsState.Interrupted, status.Current.State);
        Assert.Equal("connection lost", status.Current.LastError);
    }
}
