using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FeatureFlags.Events;

/// <summary>Plugs an event sink into the client's insight events.</summary>
public static class FeatureFlagsEventsBuilderExtensions
{
    /// <summary>
    /// Hands every insight event to <paramref name="factory"/>'s sink instead of sending it to FeatBit (see
    /// <see cref="IInsightEventSink"/>). Calling it again replaces the sink.
    /// </summary>
    /// <param name="builder">The SDK's builder.</param>
    /// <param name="factory">Builds the sink (once, as a singleton).</param>
    /// <returns>The builder.</returns>
    public static IFeatureFlagsBuilder UseEventSink(this IFeatureFlagsBuilder builder, Func<IServiceProvider, IInsightEventSink> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }
}
