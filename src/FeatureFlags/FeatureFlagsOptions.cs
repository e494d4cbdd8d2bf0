namespace FeatureFlags;

/// <summary>
/// Options of the feature-flag SDK, bound from the <c>FeatureFlags</c> configuration section.
/// </summary>
public sealed class FeatureFlagsOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "FeatureFlags";

    /// <summary>
    /// Gets or sets whether a rule condition on an attribute the user does not have is always false, negative
    /// operators (<c>NotEqual</c>, <c>NotContain</c>, <c>NotOneOf</c>, <c>NotMatchRegex</c>) included.
    /// Default <see langword="false"/>: a missing attribute reads as an empty string, exactly as the official
    /// FeatBit .NET SDK and the FeatBit server do, so a user gets the same variation everywhere.
    /// </summary>
    public bool StrictMissingAttributes { get; set; }

    /// <summary>
    /// Gets or sets the longest a <c>MatchRegex</c>/<c>NotMatchRegex</c> condition may run for one evaluation; a
    /// regex that takes longer makes the flag return the caller's default with an error reason. Default 100 ms.
    /// </summary>
    public TimeSpan RegexMatchTimeout { get; set; } = TimeSpan.FromMilliseconds(100);
}
