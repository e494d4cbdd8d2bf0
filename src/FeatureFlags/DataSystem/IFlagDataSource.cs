namespace FeatureFlags.DataSystem;

/// <summary>
/// A live source of flag data: FeatBit streaming (the default), or one an app or package plugs in
/// (<see cref="FeatureFlagsDataSystemBuilderExtensions.UseDataSource"/>). The data system runs exactly one per client.
/// </summary>
/// <remarks>
/// <para>
/// The data system calls <see cref="RunAsync"/> once, when the host starts the client, after it has loaded the bootstrap
/// file and the persistent store. The source commits data through the <see cref="IFlagDataSourceUpdates"/> it is given and says how it is doing
/// with <see cref="IFlagDataSourceUpdates.UpdateStatus"/>; it reports <see cref="FeatureFlagsState.Ready"/> only once
/// what it committed is complete. It never writes the status any other way: the data system owns it.
/// </para>
/// <para>
/// <see cref="RunAsync"/> runs until <c>stoppingToken</c> is cancelled (return then, without throwing) or the source
/// stops for good (report <see cref="FeatureFlagsState.Off"/> first). An exception it throws is logged and turns the
/// status <see cref="FeatureFlagsState.Off"/>; the flags committed so far keep serving.
/// </para>
/// </remarks>
public interface IFlagDataSource
{
    /// <summary>Runs the source until <paramref name="stoppingToken"/> is cancelled or it stops for good.</summary>
    /// <param name="updates">Where the source commits data and reports its state.</param>
    /// <param name="stoppingToken">Cancelled when the client stops.</param>
    /// <returns>A task that completes when the source has stopped.</returns>
    Task RunAsync(IFlagDataSourceUpdates updates, CancellationToken stoppingToken);
}
