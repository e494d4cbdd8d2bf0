using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// The one feature-flag middleware: builds the request's user (claims, then enrichers), sets it on the scoped
/// <see cref="IFeatureFlags"/>, and enforces every <see cref="FeatureGateAttribute"/> of the selected endpoint.
/// </summary>
internal sealed partial class FeatureFlagsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ClaimsUserFactory _users;
    private readonly IOptions<FeatureGateOptions> _gateOptions;
    private readonly bool _hasEnrichers;
    private readonly ILogger<FeatureFlagsMiddleware> _logger;

    public FeatureFlagsMiddleware(
        RequestDelegate next,
        IOptions<FeatureFlagsOptions> options,
        IOptions<FeatureGateOptions> gateOptions,
        IServiceProvider services,
        ILogger<FeatureFlagsMiddleware> logger)
    {
        _next = next;
        _users = new ClaimsUserFactory(options.Value.User);
        _gateOptions = gateOptions;
        _hasEnrichers = services.GetService<UserEnricherMarker>() is not null;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var flags = context.RequestServices.GetRequiredService<IFeatureFlags>();
        var user = _users.Create(context);
        return _hasEnrichers ? EnrichThenGateAsync(context, flags, user) : GateAsync(context, flags, user);
    }

    private async Task EnrichThenGateAsync(HttpContext context, IFeatureFlags flags, FlagUser? user)
    {
        foreach (var enricher in context.RequestServices.GetServices<IFeatureFlagUserEnricher>())
        {
            user = await enricher.EnrichAsync(context, user, context.RequestAborted).ConfigureAwait(false);
        }

        await GateAsync(context, flags, user).ConfigureAwait(false);
    }

    private Task GateAsync(HttpContext context, IFeatureFlags flags, FlagUser? user)
    {
        if (user is not null)
        {
            flags.SetUser(user);
        }

        var gates = context.GetEndpoint()?.Metadata.GetOrderedMetadata<FeatureGateAttribute>();
        if (gates is not null)
        {
            for (var i = 0; i < gates.Count; i++)
            {
                if (!FeatureGates.IsOpen(flags, gates[i]))
                {
                    return RejectAsync(context, gates[i]);
                }
            }
        }

        return _next(context);
    }

    private Task RejectAsync(HttpContext context, FeatureGateAttribute gate)
    {
        LogRejected(gate.Flags, context.Request.Path);

        var options = _gateOptions.Value;
        if (gate.RedirectTo is { } gateUrl)
        {
            context.Response.Redirect(gateUrl);
        }
        else if (gate.StatusCode != 0)
        {
            context.Response.StatusCode = gate.StatusCode;
        }
        else if (options.OnRejected is { } onRejected)
        {
            return onRejected(context, new FeatureGateRejection(gate)).AsTask();
        }
        else if (options.RedirectTo is { } url)
        {
            context.Response.Redirect(url);
        }
        else
        {
            context.Response.StatusCode = options.RejectionStatusCode;
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Feature gate on {Flags} is closed: rejected {Path}")]
    private partial void LogRejected(IReadOnlyList<string> flags, PathString path);
}

/// <summary>Registered by <c>AddUserEnricher</c>, so the middleware skips enricher resolution when there is none.</summary>
internal sealed class UserEnricherMarker;
