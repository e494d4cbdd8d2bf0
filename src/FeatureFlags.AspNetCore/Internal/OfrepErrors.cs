namespace FeatureFlags.AspNetCore.Internal;

/// <summary>OFREP's error codes (OpenFeature's error codes, as the OFREP OpenAPI document spells them).</summary>
internal static class OfrepErrors
{
    public const string ParseError = "PARSE_ERROR";
    public const string TargetingKeyMissing = "TARGETING_KEY_MISSING";
    public const string InvalidContext = "INVALID_CONTEXT";
    public const string General = "GENERAL";
    public const string FlagNotFound = "FLAG_NOT_FOUND";
}
