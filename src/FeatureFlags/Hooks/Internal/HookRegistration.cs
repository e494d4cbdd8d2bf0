namespace FeatureFlags.Hooks.Internal;

/// <summary>
/// One <c>AddHook</c> call, registered (as an instance) in the client's service collection, in registration order.
/// <see cref="Key"/> is the hook type or instance, so adding the same one twice registers it once.
/// </summary>
internal sealed class HookRegistration(object key, Func<IServiceProvider, FeatureFlagsHook> resolve)
{
    public object Key { get; } = key;

    public FeatureFlagsHook Resolve(IServiceProvider services) => resolve(services);
}
