namespace FeatureFlags.AspNetCore;

/// <summary>
/// Which flags may leave the server for a browser: the allow-list of the <c>&lt;feature-flags-bootstrap /&gt;</c> tag
/// helper (the <c>FeatureFlags:ClientSide</c> configuration section).
/// </summary>
/// <remarks>
/// <para>
/// FeatBit's flag data has no per-flag "client-side" marker (the server-side data carries the flag's key, variations
/// and targeting, nothing about who may see it), so the flags a page may write into its HTML are named here. With no
/// flag listed, the tag helper fails closed: it writes an empty array and logs once why (EventId 4030).
/// </para>
/// <para>
/// Bound from <c>FeatureFlags:ClientSide</c> of the app's configuration, then changed by any
/// <c>AddFeatureFlags(...).ConfigureClientSide(...)</c> callbacks, and validated when <c>app.UseFeatureFlags()</c>
/// builds the pipeline (host start): an unknown key or a blank flag key fails start-up, naming the key. Read once.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// "FeatureFlags": {
///   "ClientSide": { "Flags": [ "checkout-ui", "banner" ] }
/// }
/// </code>
/// </example>
public sealed class FeatureFlagClientSideOptions
{
    /// <summary>
    /// Gets or sets the keys of the flags a page may write for the browser (ordinal, case-sensitive). Empty by default:
    /// nothing is written.
    /// </summary>
    /// <remarks>A listed flag that does not exist, or that fails to evaluate, is left out: the browser uses its own default.</remarks>
    public IList<string> Flags { get; set; } = [];
}
