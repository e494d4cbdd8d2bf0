using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace FeatureFlags.AspNetCore.Tests.TestApp;

/// <summary>
/// Real authentication for the test app: the <c>X-Test-Claims</c> header carries <c>type=value;type=value</c>
/// (each part URL-encoded); no header = anonymous.
/// </summary>
internal sealed class TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string Header = "X-Test-Claims";

    public static string Encode(params (string Type, string Value)[] claims)
        => string.Join(';', claims.Select(c => Uri.EscapeDataString(c.Type) + "=" + Uri.EscapeDataString(c.Value)));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = header.ToString().Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Select(kv => new Claim(Uri.UnescapeDataString(kv[0]), Uri.UnescapeDataString(kv[1])));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
