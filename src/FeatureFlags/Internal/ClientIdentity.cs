namespace FeatureFlags.Internal;

/// <summary>
/// Who a client's private container belongs to: registered in the container of a named client (<c>AddFeatureFlags("eu", ...)</c>)
/// and of a client without a host (<c>FeatureFlagsClient.StartAsync</c>); absent for the app's default client.
/// </summary>
/// <param name="Name">The client's name (a metric and trace dimension, a log scope); null for a client without a host.</param>
/// <param name="KeyPrefix">The configuration path that option failures name (<c>FeatureFlags:Eu:</c>).</param>
/// <param name="HostWillStart">Whether something will start the client's hosted services (the app's host, or the standalone client).</param>
internal sealed record ClientIdentity(string? Name, string KeyPrefix, bool HostWillStart);
