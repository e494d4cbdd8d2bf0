using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>Drives a <see cref="FakeTimeProvider"/> for code that arms its timers asynchronously.</summary>
internal static class FakeClock
{
    /// <summary>
    /// Advances fake time by <paramref name="step"/> until <paramref name="condition"/> holds, at most
    /// <paramref name="maxSteps"/> times. Backoff and flush timers are created asynchronously (after a failure, after a
    /// send), so each step gives the code a moment of real time (<paramref name="pauseMs"/>, bounded) to arm the next one.
    /// Fails the test with <paramref name="what"/> when the condition never holds.
    /// </summary>
    public static async Task AdvanceUntilAsync(
        this FakeTimeProvider time, Func<bool> condition, TimeSpan step, string what, int maxSteps = 200, int pauseMs = 15)
    {
        for (var i = 0; i < maxSteps; i++)
        {
            if (condition())
            {
                return;
            }

            time.Advance(step);
            await Task.Delay(TimeSpan.FromMilliseconds(pauseMs), TimeProvider.System);
        }

        Assert.True(condition(), $"Timed out waiting for: {what}");
    }
}
