using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FeatureFlags.Internal;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>
/// A plain service provider (no host, no ASP.NET) with the real SDK serving an <see cref="InMemoryFlags"/>: what a
/// user's unit test of a service or worker builds. Without a host, the test starts the hosted services itself (the
/// docs' "Without a host"): the SDK's data system then loads the flags before <see cref="StartAsync"/> returns.
/// </summary>
internal sealed class Harness : IDisposable
{
    public Harness(InMemoryFlags? flags = null, IDictionary<string, string?>? config = null, bool start = true)
    {
        Flags = flags ?? new InMemoryFlags();
        var services = new ServiceCollection();
        if (config is not null)
        {
            services.AddFeatureFlags(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        }

        services.AddInMemoryFeatureFlags(Flags);
        Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        if (start)
        {
            // Test constructors are synchronous; the SDK's start awaits nothing that needs this thread.
            StartAsync(Services, TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        }
    }

    public InMemoryFlags Flags { get; }

    public ServiceProvider Services { get; }

    public IFeatureFlagClient Client => Services.GetRequiredService<IFeatureFlagClient>();

    public IFlagTracker Tracker => Services.GetRequiredService<IFlagTracker>();

    public IFlagStore Store => Services.GetRequiredService<IFlagStore>();

    /// <summary>
    /// Waits (bounded) until the change notifications queued so far were delivered: handlers run on the SDK's
    /// notification thread, after the change returns. (The one core internal these tests use.)
    /// </summary>
    public void Delivered()
    {
        if (!Services.GetRequiredService<NotificationDispatcher>().WhenDeliveredAsync().Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("The change notifications were not delivered within 10 s.");
        }
    }

    /// <summary>What a host's start does: starts every hosted service (the SDK's data system and events among them).</summary>
    public static async Task StartAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(cancellationToken);
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

    /// <summary>
    /// FeatBit's percentage bucket of a hash key, computed here independently of the SDK (protocol spec §4):
    /// <c>|Int32LE(MD5(UTF-8(key))[0..4]) / int.MinValue|</c>.
    /// </summary>
    public static double Bucket(string hashKey)
    {
#pragma warning disable CA5351 // MD5 is FeatBit's bucketing hash here, not a security measure.
        var hash = MD5.HashData(Encoding.UTF8.GetBytes(hashKey));
#pragma warning restore CA5351
        return Math.Abs((double)BinaryPrimitives.ReadInt32LittleEndian(hash) / int.MinValue);
    }

    public void Dispose() => Services.Dispose();
}
