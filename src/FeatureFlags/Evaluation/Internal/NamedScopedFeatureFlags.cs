namespace FeatureFlags.Evaluation.Internal;

/// <summary>
/// A named client's scoped <see cref="IFeatureFlags"/> (<c>[FromKeyedServices("eu")] IFeatureFlags</c>): as
/// <see cref="ScopedFeatureFlags"/>, but until its own <see cref="SetUser"/> is called its user is the user of the
/// scope's default <see cref="IFeatureFlags"/> (set by <c>UseFeatureFlags()</c> in ASP.NET Core). A separate type, so the
/// default client's scoped object keeps its size and code.
/// </summary>
/// <param name="client">The named client.</param>
/// <param name="scope">The scope whose default <see cref="IFeatureFlags"/> holds the request's user.</param>
internal sealed class NamedScopedFeatureFlags(FeatureFlagClient client, IServiceProvider scope) : ScopedFeatureFlagsBase(client)
{
    private FlagUser? _user;
    private IFeatureFlags? _inherited;
    private bool _resolved;

    public override FlagUser? User => _user ?? InheritedUser();

    public override void SetUser(FlagUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        _user = user;
    }

    private FlagUser? InheritedUser()
    {
        if (!_resolved)
        {
            _inherited = scope.GetService(typeof(IFeatureFlags)) as IFeatureFlags;
            _resolved = true;
        }

        return _inherited?.User;
    }
}
