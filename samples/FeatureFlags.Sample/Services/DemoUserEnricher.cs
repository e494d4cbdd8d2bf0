using FeatureFlags.AspNetCore;

namespace FeatureFlags.Sample.Services;

/// <summary>
/// The sample has no login: the demo user is chosen with <c>?user=alice</c> (or bob, carol...) and defaults to
/// <c>alice</c>. A real app maps claims instead (FeatureFlags:User) and may use an enricher to add attributes.
/// </summary>
internal sealed class DemoUserEnricher : IFeatureFlagUserEnricher
{
    public ValueTask<FlagUser?> EnrichAsync(HttpContext context, FlagUser? user, CancellationToken cancellationToken)
    {
        // A signed-in user wins; an anonymous visitor (the SDK-issued "anon:" key) becomes the demo user.
        if (user is not null && !user.Key.StartsWith(FeatureFlagUserOptions.AnonymousKeyPrefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult<FlagUser?>(user);
        }

        var key = context.Request.Query["user"].ToString();
        key = string.IsNullOrWhiteSpace(key) ? "alice" : key;
        return ValueTask.FromResult<FlagUser?>(FlagUser.Builder(key).Name(key).Country("GB").Custom("plan", "premium").Build());
    }
}
