using Microsoft.Extensions.Logging;

namespace FeatureFlags.Hooks.Internal;

// Hook log events: EventIds 1401-1409 (listed in docs/logging.md).
internal sealed partial class HookRunner
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Error, Message = "Hook '{HookName}' threw in {Stage}: the exception was caught, the result and the other hooks are unaffected. Logged once per hook; later failures of this hook are counted, not logged")]
    private partial void LogHookFailed(string hookName, string stage, Exception exception);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Debug, Message = "The client runs {HookCount} hooks, before stages in this order, after stages in reverse: {HookNames}")]
    private partial void LogHooksRegistered(int hookCount, IEnumerable<string> hookNames);
}
