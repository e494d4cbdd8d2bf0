namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>
/// The app's service provider, registered in a named client's private container (never in the app's own), so that
/// what the app registered (a hook type, say) can be found from inside the client.
/// </summary>
internal sealed class AppServices(IServiceProvider provider)
{
    public IServiceProvider Provider { get; } = provider;
}
