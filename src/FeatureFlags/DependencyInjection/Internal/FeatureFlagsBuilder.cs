using Microsoft.Extensions.DependencyInjection;

namespace FeatureFlags.DependencyInjection.Internal;

/// <summary>The builder <c>AddFeatureFlags</c> returns.</summary>
internal sealed class FeatureFlagsBuilder(IServiceCollection services) : IFeatureFlagsBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Registered once by the first <c>AddFeatureFlags</c>: later calls see it and skip the core registrations.</summary>
internal sealed class FeatureFlagsMarker;
