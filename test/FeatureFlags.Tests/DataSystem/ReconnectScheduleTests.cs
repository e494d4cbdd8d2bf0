using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.DataSystem;

/// <summary>The reconnect schedule (issue 15, item 2): quick after a healthy connection, paced when refused.</summary>
public sealed class ReconnectScheduleTests
{
    private static readonly StreamingOptions Options = new() { ReconnectDelay = TimeSpan.FromSeconds(1), MaxReconnectDelay = TimeSpan.FromSeconds(30) };

    [Fact]
    [Trait("Conformance", "SYNC-08")]
    public void AfterAHealthySession_AttemptsAreQuickForThirtySeconds()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(Options, time);

        var first = schedule.OnHealthySessionEnded();
        Assert.InRange(first, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
        var elapsed = first;
        var attempts = 0;
        while (elapsed < ReconnectSchedule.QuickPhase)
        {
            time.Advance(first);
            var delay = schedule.NextDelay();
            if (!schedule.IsQuick)
            {
                break;
            }

            Assert.InRange(delay, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(750));
            time.Advance(delay);
            elapsed += delay;
            attempts++;
            first = TimeSpan.Zero;
        }

        // 30 s at 0.25-0.75 s: between 40 and 120 attempts, then paced.
        Assert.InRange(attempts, 40, 120);
        time.Advance(ReconnectSchedule.QuickPhase);
        Assert.InRange(schedule.NextDelay(), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void WithoutAHealthySession_DelaysDoubleWithJitter_UpToTheMaximum()
    {
        var schedule = new ReconnectSchedule(Options, new FakeTimeProvider());

        for (var attempt = 0; attempt < 12; attempt++)
        {
            var ceiling = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt)));
            Assert.InRange(schedule.NextDelay(), ceiling / 2, ceiling);
        }

        // A server that keeps refusing sees at most one attempt per 15 s per client.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            Assert.InRange(schedule.NextDelay(), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        }
    }
}
