using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// The one feature-flag middleware: builds the request's user (claims, else an anonymous key, then enrichers), sets it on
/// the scoped <see cref="IFeatureFlags"/>, enforces every <see cref="FeatureGateAttribute"/> of the selected endpoint and
/// marks the request as evaluated (<see cref="GateEvaluation"/>) so the gated endpoint may run.
/// </summary>
internal sealed partial class FeatureFlagsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ClaimsUserFactory _users;
    private readonly AnonymousKeys _anonymous;
    private readonly string _keyClaim;
    private readonly IOptions<FeatureGateOptions> _gateOptions;
    private readonly bool _hasEnrichers;
    private readonly PageViewRecorder? _pageViews;
    private readonly ILogger<FeatureFlagsMiddleware> _logger;
    private int _warnedNoKeyClaim;
    private int _warnedKeyTooLong;

    /// <summary>1 while authentication services exist and the "authentication has not run" warning has not been logged.</summary>
    private int _watchAuthenticationOrder;

    public FeatureFlagsMiddleware(
        RequestDelegate next,
        IOptions<FeatureGateOptions> gateOptions,
        IServiceProvider services,
        ILogger<FeatureFlagsMiddleware> logger)
    {
        // Built when the pipeline is built (host start): a bad FeatureFlags:User setting fails the start, naming the key.
        var userOptions = UserOptionsLoader.Load(services);
        _next = next;
        _users = new ClaimsUserFactory(userOptions);
        _anonymous = new AnonymousKeys(userOptions);
        _keyClaim = userOptions.KeyClaim;
        _gateOptions = gateOptions;
        _hasEnrichers = services.GetService<UserEnricherMarker>() is not null;
        _watchAuthenticationOrder = services.GetService<IAuthenticationSchemeProvider>() is null ? 0 : 1;
        _logger = logger;

        // The front-end settings are validated here too (FeatureFlags:ClientSide, FeatureFlags:PageViews), so a bad one fails the start.
        ClientSideFlags.Register(services);
        _pageViews = PageViewRecorder.Create(services, logger);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var flags = context.RequestServices.GetRequiredService<IFeatureFlags>();
        var user = _users.Create(context, out var keyTooLong) ?? (keyTooLong ? KeyClaimTooLong() : UserWithoutKeyClaim(context));
        if (_watchAuthenticationOrder == 1 && context.Features.Get<IAuthenticationFeature>() is null)
        {
            AuthenticationNotRun(context);
        }

        return _hasEnrichers ? EnrichThenGateAsync(context, flags, user) : GateAsync(context, flags, user);
    }

    /// <summary>A key claim longer than <see cref="FlagUser.MaxKeyLength"/> gives no user (never an anonymous key).</summary>
    private FlagUser? KeyClaimTooLong()
    {
        if (Interlocked.Exchange(ref _warnedKeyTooLong, 1) == 0)
        {
            LogKeyClaimTooLong(_keyClaim, FlagUser.MaxKeyLength);
        }

        return null;
    }

    /// <summary>A signed-in user without the key claim gets no user (never an anonymous key); an anonymous visitor gets one.</summary>
    private FlagUser? UserWithoutKeyClaim(HttpContext context)
    {
        if (IsAuthenticated(context.User))
        {
            if (Interlocked.Exchange(ref _warnedNoKeyClaim, 1) == 0)
            {
                LogNoKeyClaim(_keyClaim);
            }

            return null;
        }

        var key = _anonymous.GetKey(context, out var noKeyReason);
        if (key is null)
        {
            LogNoUser(context.Request.Path, noKeyReason!);
            return null;
        }

        return FlagUser.Builder(key).Build();
    }

    private static bool IsAuthenticated(ClaimsPrincipal? principal)
    {
        if (principal is null)
        {
            return false;
        }

        foreach (var identity in principal.Identities)
        {
            if (identity.IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The authentication middleware sets <see cref="IAuthenticationFeature"/> on every request it sees; with
    /// authentication services registered and no such feature, it has not run yet (it is after us, or missing), so the
    /// user was built without the claims: warn once.
    /// </summary>
    private void AuthenticationNotRun(HttpContext context)
    {
        if (Interlocked.Exchange(ref _watchAuthenticationOrder, 0) == 1)
        {
            LogAuthenticationNotRun(context.Request.Path);
        }
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

        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            // Before routing (or no endpoint matched): a gated endpoint selected later must not run unchecked.
            context.Features.Set(GateEvaluation.WithoutEndpoint);
            return Next(context, flags);
        }

        var gates = endpoint.Metadata.GetOrderedMetadata<FeatureGateAttribute>();
        if (gates.Count == 0)
        {
            return Next(context, flags);
        }

        for (var i = 0; i < gates.Count; i++)
        {
            var gateFlags = gates[i].Client is { } client ? FeatureGates.FlagsOf(context.RequestServices, client) : flags;
            if (!FeatureGates.IsOpen(gateFlags, gates[i]))
            {
                return RejectAsync(context, gates[i]);
            }
        }

        context.Features.Set(new GateEvaluation(endpoint));
        return Next(context, flags);
    }

    /// <summary>The rest of the pipeline; with page views on, the page view is recorded once it has run.</summary>
    private Task Next(HttpContext context, IFeatureFlags flags)
        => _pageViews is null ? _next(context) : _pageViews.InvokeAsync(_next, context, flags);

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

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning,
        Message = "Authentication services are registered, but the authentication middleware had not run when UseFeatureFlags() built the "
            + "feature-flag user of {Path}, so flags and gates do not see the user's claims. Call app.UseFeatureFlags() after "
            + "UseAuthentication(). Logged once.")]
    private partial void LogAuthenticationNotRun(PathString path);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning,
        Message = "A signed-in user has no '{KeyClaim}' claim (nor 'sub'), so the request has no feature-flag user and every flag returns the "
            + "caller's default. Set FeatureFlags:User:KeyClaim to the claim that holds the user's id. Logged once.")]
    private partial void LogNoKeyClaim(string keyClaim);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug,
        Message = "Request {Path} has no feature-flag user because {Reason}: every flag returns the caller's default.")]
    private partial void LogNoUser(PathString path, string reason);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning,
        Message = "A signed-in user's key claim ('{KeyClaim}', else 'sub') is longer than {MaxKeyLength} characters (FlagUser.MaxKeyLength), so the request has no "
            + "feature-flag user and every flag returns the caller's default. Set FeatureFlags:User:KeyClaim to a claim that holds a short, "
            + "stable id. Logged once.")]
    private partial void LogKeyClaimTooLong(string keyClaim, int maxKeyLength);
}

/// <summary>Registered by <c>AddUserEnricher</c>, so the middleware skips enricher resolution when there is none.</summary>
internal sealed class UserEnricherMarker;
