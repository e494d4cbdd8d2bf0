using FeatureFlags.AspNetCore;

namespace FeatureFlags.Sample.Services;

/// <summary>
/// Adds the attributes a real app would load from its user store to the signed-in user (the demo login,
/// <see cref="DemoAuthenticationHandler"/>, signs in <c>?user=alice</c>, bob, carol...), and turns an anonymous visitor
/// (the SDK-issued <c>anon:</c> key) into the demo user <c>alice</c>, so every page works without <c>?user=</c>.
/// </summary>
internal sealed class DemoUserEnricher : IFeatureFlagUserEnricher
{
    public ValueTask<FlagUser?> EnrichAsync(HttpContext context, FlagUser? user, CancellationToken cancellationToken)
    {
        var key = user is null || user.Key.StartsWith(FeatureFlagUserOptions.AnonymousKeyPrefix, StringComparison.Ordinal) ? "alice" : user.Key;
        return ValueTask.FromResult<FlagUser?>(FlagUser.Builder(key).Name(key).Country("GB").Custom("plan", "premium").Build());
    }
}
