using Microsoft.Extensions.DependencyInjection;

namespace FeatureFlags;

/// <summary>Returned by <c>AddFeatureFlags</c>: a place for extension methods that add to the feature-flag set-up.</summary>
/// <remarks>Used while the service collection is being built, on one thread; not used after the app starts.</remarks>
/// <example>
/// <code>
/// builder.Services.AddFeatureFlags(builder.Configuration)
///     .AddUserEnricher&lt;TenantUserEnricher&gt;();
/// </code>
/// </example>
public interface IFeatureFlagsBuilder
{
    /// <summary>
    /// Gets the service collection the SDK is registered in: the app's for the default client, the client's own private
    /// collection for a named client (<c>AddFeatureFlags("eu", ...)</c>), so what is added here applies to that client only.
    /// </summary>
    IServiceCollection Services { get; }
}
