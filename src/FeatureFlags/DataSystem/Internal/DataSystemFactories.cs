namespace FeatureFlags.DataSystem.Internal;

/// <summary>How the container builds the client's live data source (replaced by <c>UseDataSource</c>).</summary>
internal sealed record LiveDataSourceFactory(Func<IServiceProvider, IFlagDataSource> Create);

/// <summary>How the container builds the client's persistent store (replaced by <c>UsePersistentStore</c>); null = none.</summary>
internal sealed record PersistentStoreFactory(Func<IServiceProvider, IPersistentFlagStore?> Create);
