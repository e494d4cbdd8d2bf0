using FeatureFlags.Events.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Events;

/// <summary>
/// The events' timestamp clock: the coarse path used with <see cref="TimeProvider.System"/> (tick count plus an
/// offset anchored to the wall clock), driven here by a fake tick count and a fake wall clock, and the direct path.
/// </summary>
public sealed class EventClockTests
{
    private const long StartMs = 1_700_000_000_000;

    private readonly FakeTimeProvider _wall = new(DateTimeOffset.FromUnixTimeMilliseconds(StartMs));
    private long _ticks = 5_000;

    [Fact]
    public void Now_Coarse_IsTheWallClockAtTheAnchorPlusTheTicksSince()
    {
        var clock = new EventClock(_wall, coarse: true, () => _ticks);

        Assert.Equal(StartMs, clock.Now());
        _ticks += 1_234;
        Assert.Equal(StartMs + 1_234, clock.Now());
    }

    [Fact]
    public void Now_Coarse_DoesNotReadTheWallClockUntilReanchored()
    {
        var clock = new EventClock(_wall, coarse: true, () => _ticks);

        // The wall clock is set forward (NTP, a VM resumed) while the tick count moves on by 10 ms only.
        _wall.Advance(TimeSpan.FromSeconds(30));
        _ticks += 10;
        Assert.Equal(StartMs + 10, clock.Now());

        clock.Anchor();
        Assert.Equal(StartMs + 30_000, clock.Now());
        _ticks += 5;
        Assert.Equal(StartMs + 30_005, clock.Now());
    }

    [Fact]
    public void Now_NotCoarse_ReadsTheTimeProviderAndIgnoresTheTicks()
    {
        var clock = new EventClock(_wall, coarse: false, () => _ticks);

        _ticks += 1_000;
        Assert.Equal(StartMs, clock.Now());
        _wall.Advance(TimeSpan.FromMilliseconds(7));
        clock.Anchor();
        Assert.Equal(StartMs + 7, clock.Now());
    }

    [Fact]
    public void Constructor_ChoosesTheCoarseClockForTheSystemClockOnly()
    {
        Assert.True(new EventClock(TimeProvider.System).IsCoarse);
        Assert.False(new EventClock(_wall).IsCoarse);
    }

    [Fact]
    public void Now_SystemClock_AgreesWithTheWallClock()
    {
        // The real tick count and wall clock: the coarse timestamp lies between two precise readings, within the
        // tick count's resolution (tens of ms at worst on some systems).
        var clock = new EventClock(TimeProvider.System);

        var before = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var now = clock.Now();
        var after = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

        Assert.InRange(now, before - 100, after + 100);
    }

    [Fact]
    public void EventProcessor_UsesTheCoarseClockWithTheSystemClockOnly()
    {
        Assert.True(ProcessorClock(null).IsCoarse);
        Assert.False(ProcessorClock(_wall).IsCoarse);
    }

    private static EventClock ProcessorClock(TimeProvider? time)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddLogging();
        services.AddSingleton(Options.Create(new FeatureFlagsOptions { EnvSecret = "secret" }));
        services.AddFeatureFlagEvents();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<EventProcessor>().Clock;
    }
}
