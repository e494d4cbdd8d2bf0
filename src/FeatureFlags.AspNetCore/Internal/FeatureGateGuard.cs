using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Set on a request by <c>UseFeatureFlags()</c>: the endpoint whose gates it evaluated and found open, or
/// <see cref="WithoutEndpoint"/> when it ran before routing had selected one.
/// </summary>
internal sealed class GateEvaluation(Endpoint? endpoint)
{
    public static readonly GateEvaluation WithoutEndpoint = new(null);

    public Endpoint? Endpoint { get; } = endpoint;
}

/// <summary>
/// Fail-closed check run right before a gated endpoint executes (by the <c>RequireFeature</c> request-delegate wrapper, one
/// per endpoint, and as the MVC resource filter that <see cref="FeatureGateAttribute"/> creates, one per action or page):
/// a gated endpoint runs only for a request whose gates the middleware evaluated. Otherwise the request gets a 500 and an
/// error naming the fix is logged once per endpoint.
/// </summary>
internal sealed partial class FeatureGateGuard : IResourceFilter
{
    /// <summary>The most endpoints remembered as reported; an app has a bounded number of endpoints anyway.</summary>
    private const int MaxReported = 1024;

    private readonly ConcurrentDictionary<Endpoint, byte> _reported = new();
    private int _reportedWithoutEndpoint;

    /// <summary>Returns <see langword="true"/> when the middleware evaluated (and passed) the gates of the executing endpoint.</summary>
    public static bool WasEvaluated(HttpContext context)
        => context.Features.Get<GateEvaluation>() is { Endpoint: { } evaluated } && ReferenceEquals(evaluated, context.GetEndpoint());

    /// <summary>Refuses the request with 500 and logs (once per endpoint) why and how to fix the pipeline.</summary>
    public void Refuse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        var endpoint = context.GetEndpoint();
        if (!FirstReport(endpoint))
        {
            return;
        }

        var logger = context.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger("FeatureFlags.AspNetCore.FeatureGate");
        if (logger is null)
        {
            return;
        }

        var problem = context.Features.Get<GateEvaluation>() switch
        {
            null => "did not run for this request (it is missing from the pipeline, or placed after the endpoints)",
            { Endpoint: null } => "ran before routing had selected the endpoint (it is placed before UseRouting())",
            _ => "evaluated the gates of a different endpoint",
        };
        var gates = endpoint?.Metadata.GetOrderedMetadata<FeatureGateAttribute>() ?? [];
        LogNotEvaluated(logger, endpoint?.DisplayName ?? "(none)", [.. gates.SelectMany(static g => g.Flags).Distinct(StringComparer.Ordinal)], problem);
    }

    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        if (!WasEvaluated(context.HttpContext))
        {
            Refuse(context.HttpContext);
            context.Result = new StatusCodeResult(StatusCodes.Status500InternalServerError);
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }

    private bool FirstReport(Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return Interlocked.Exchange(ref _reportedWithoutEndpoint, 1) == 0;
        }

        return _reported.Count < MaxReported && _reported.TryAdd(endpoint, 0);
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error,
        Message = "Endpoint {Endpoint} is gated on {Flags}, but UseFeatureFlags() {Problem}, so the gate was not evaluated: "
            + "the request was refused with 500. Call app.UseFeatureFlags() after UseRouting() and UseAuthentication(), before the endpoints.")]
    private static partial void LogNotEvaluated(ILogger logger, string endpoint, IReadOnlyList<string> flags, string problem);
}
