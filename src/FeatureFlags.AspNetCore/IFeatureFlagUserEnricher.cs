using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore;

/// <summary>
/// Enriches or replaces the user built from a request's claims, asynchronously, before gates are enforced (for example
/// to add the tenant's plan from a database). Registered with <c>AddFeatureFlags(...).AddUserEnricher&lt;T&gt;()</c>.
/// </summary>
/// <remarks>
/// Scoped: resolved from the request's services and called once per request by <c>app.UseFeatureFlags()</c>, in
/// registration order, each receiving the previous one's result. Return <see langword="null"/> for "no user" (flags then
/// return the caller's defaults). Never block: this method is asynchronous so that no call needs sync-over-async.
/// An anonymous visitor arrives with its anonymous user (key starting with
/// <see cref="FeatureFlagUserOptions.AnonymousKeyPrefix"/>), unless <c>FeatureFlags:User:AnonymousKeySource</c> is
/// <c>None</c> or it has no key; a signed-in user without a key claim arrives as <see langword="null"/>.
/// </remarks>
/// <example>
/// <code>
/// sealed class PlanEnricher(IPlanStore plans) : IFeatureFlagUserEnricher
/// {
///     public async ValueTask&lt;FlagUser?&gt; EnrichAsync(HttpContext context, FlagUser? user, CancellationToken ct)
///         => user is null ? null
///            : FlagUser.Builder(user.Key).Name(user.Name).Custom("plan", await plans.GetPlanAsync(user.Key, ct)).Build();
/// }
/// </code>
/// </example>
public interface IFeatureFlagUserEnricher
{
    /// <summary>Returns the request's user: <paramref name="user"/>, an enriched copy, another user or none.</summary>
    /// <param name="context">The request.</param>
    /// <param name="user">The user built so far (from claims, or by an earlier enricher); <see langword="null"/> when none.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>The user to evaluate flags for, or <see langword="null"/>.</returns>
    ValueTask<FlagUser?> EnrichAsync(HttpContext context, FlagUser? user, CancellationToken cancellationToken);
}
