using Microsoft.Extensions.Logging;

namespace FeatureFlags.Evaluation.Internal;

// Evaluation log events: EventIds 1150 and 1201-1209 (listed in docs/logging.md).
internal sealed partial class FeatureFlagClient
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Flag '{FlagKey}' (version {Version}) could not be evaluated: its data is broken, or a regular expression in it ran past the match timeout ({RegexMatchTimeout}). The caller's default is served with reason 'malformed flag'")]
    private partial void LogEvaluationFailed(string flagKey, long version, TimeSpan regexMatchTimeout);

    [LoggerMessage(EventId = 1150, Level = LogLevel.Warning, Message = "Rule '{RuleName}' of flag '{FlagKey}' (version {Version}) ran past the regex match timeout ({RegexMatchTimeout}) {Timeouts} times within {Window}: it is not evaluated for {OpenTime}, and evaluations that reach it return the caller's default with reason 'malformed flag'. Logged once per trip")]
    private partial void LogRegexBreakerOpened(string flagKey, long version, string ruleName, int timeouts, TimeSpan window, TimeSpan regexMatchTimeout, TimeSpan openTime);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Evaluating flag '{FlagKey}' (version {Version}) threw; the caller's default is served")]
    private partial void LogEvaluationThrew(string flagKey, long version, Exception exception);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Flag '{FlagKey}' has {VariationType} values, not {RequestedType}: the caller's default is served with reason 'type mismatch'. Logged once per flag and requested type")]
    private partial void LogWrongType(string flagKey, string variationType, string requestedType);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "The client has logged problems (1201-1203) for {MaxReportedKeys} distinct flags or flag/type pairs, the most it remembers: problems with further ones are counted, not logged individually. Logged once")]
    private partial void LogReportingCapped(int maxReportedKeys);
}
