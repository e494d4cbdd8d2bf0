namespace FeatureFlags.Internal;

/// <summary>Waits of the sync loops, which end early on stop without throwing.</summary>
internal static class Delays
{
    /// <summary>Waits <paramref name="delay"/> on <paramref name="time"/>; completes (never faults) when <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task QuietlyAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
        => await Task.Delay(delay, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
