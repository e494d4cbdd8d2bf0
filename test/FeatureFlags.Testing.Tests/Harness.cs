using FeatureFlags.Internal;

namespace FeatureFlags.Testing.Tests;

/// <summary>
/// A plain service provider (no host, no ASP.NET) with the real SDK serving an <see cref="InMemoryFlags"/>: what a
/// user's unit test of a service or worker builds.
/// </summary>
internal sealed class Harness : IDisposable
{
    public Harness(InMemoryFlags? flags = null, IDictionary<string, string?>? config = null)
    {
        Flags = flags ?? new InMemoryFlags();
        var services = new ServiceCollection();
        if (config is not null)
        {
            services.AddFeatureFlags(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        }

        services.AddInMemoryFeatureFlags(Flags);
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public InMemoryFlags Flags { get; }

    public ServiceProvider Services { get; }

    public IFeatureFlagClient Client => Services.GetRequiredService<IFeatureFlagClient>();

    public IFlagTracker Tracker => Services.GetRequiredService<IFlagTracker>();

    public IFlagStore Store => Services.GetRequiredService<IFlagStore>();

    /// <summary>
    /// Waits (bounded) until the change notifications queued so far were delivered: handlers run on the SDK's
    /// notification thread, after the change returns.
    /// </summary>
    public void Delivered()
    {
        if (!Services.GetRequiredService<NotificationDispatcher>().WhenDeliveredAsync().Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("The change notifications were not delivered within 10 s.");
        }
    }

    public static FlagUser User(string key, string? country = null, string? company = null)
    {
        var builder = FlagUser.Builder(key);
        if (country is not null)
        {
            builder.Country(country);
        }

        if (company is not null)
        {
            builder.Custom("company", company);
        }

        return builder.Build();
    }

    public void Dispose() => Services.Dispose();
}
