using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Sample.Services;

/// <summary>
/// The sample's stand-in for a login, so <c>dotnet run</c> needs no setup: <c>?user=alice</c> signs the request in as
/// alice; no <c>?user=</c>, not signed in (an endpoint with <c>RequireAuthorization()</c> answers 401). Anyone can type
/// any name, so this authenticates nobody: a real app uses cookies, JWT bearer or OpenID Connect here.
/// </summary>
internal sealed class DemoAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Demo";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var name = Request.Query["user"].ToString();
        if (string.IsNullOrWhiteSpace(name))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // The claims UseFeatureFlags maps by default (FeatureFlags:User): the name identifier is the flag user's key.
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, name), new Claim(ClaimTypes.Name, name)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
