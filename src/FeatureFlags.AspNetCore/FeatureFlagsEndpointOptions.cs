namespace FeatureFlags.AspNetCore;

/// <summary>What the endpoint mapped by <c>app.MapFeatureFlags(...)</c> exposes.</summary>
/// <remarks>
/// The endpoint answers whoever can reach it, so it exposes as little as a front end needs: only the flags named in
/// <see cref="Flags"/> (an allow-list: FeatBit's flag data has no client-side marker), each as its value and variation
/// id. The evaluation reason (<c>kind</c>, <c>reason</c>) is opt-in with <see cref="IncludeReasons"/>: it names the
/// targeting rule that matched, with its values (<c>match rule Employees</c>), and tells whether the key is on the
/// flag's target list (<c>TargetMatch</c>). Set once, when the endpoint is mapped; the list is copied then.
/// </remarks>
/// <example>
/// <code>
/// app.MapFeatureFlags("/api/flags", o => o.Flags = ["checkout-ui", "banner"]).RequireAuthorization();
/// </code>
/// </example>
public sealed class FeatureFlagsEndpointOptions
{
    /// <summary>
    /// Gets or sets the keys of the flags the endpoint returns (ordinal, case-sensitive). Required: mapping the endpoint
    /// with an empty list fails at startup, so a server-only flag is never exposed by default.
    /// </summary>
    /// <remarks>A listed flag that does not exist, or that fails to evaluate, is left out: the front end uses its own default.</remarks>
    public IList<string> Flags { get; set; } = [];

    /// <summary>
    /// Gets or sets whether each flag also carries its reason kind and text (<c>kind</c>, <c>reason</c>). Default
    /// <see langword="false"/>: reasons name targeting rules and their values, and reveal target-list membership. Turn it
    /// on for a debugging tool behind authorization, not for a public front end.
    /// </summary>
    public bool IncludeReasons { get; set; }
}
