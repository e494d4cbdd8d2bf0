using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// Change handlers run on the SDK's notification thread after the writer returns: a test that asserts on a handler's
/// effect waits (bounded) for the notifications queued so far.
/// </summary>
internal static class Notifications
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>Waits until every notification the store queued so far was delivered.</summary>
    public static void Delivered(this FlagStore store) => Wait(store.Dispatcher);

    /// <summary>Waits until every notification the status provider queued so far was delivered.</summary>
    public static void Delivered(this StatusProvider status) => Wait(status.Dispatcher);

    /// <summary>Waits until every notification queued so far was delivered.</summary>
    public static Task DeliveredAsync(this FlagStore store) => store.Dispatcher.WhenDeliveredAsync().WaitAsync(Bound);

    private static void Wait(NotificationDispatcher dispatcher)
    {
        if (!dispatcher.WhenDeliveredAsync().Wait(Bound))
        {
            throw new TimeoutException($"The change notifications were not delivered within {Bound}.");
        }
    }
}
