using System.Text.Encodings.Web;

namespace FeatureFlags.Sample;

/// <summary>The sample's home page: the <c>welcome-text</c> flag and a link to every demo.</summary>
internal static class HomePage
{
    private static readonly (string Href, string What)[] Demos =
    [
        ("/flags?user=alice", "every flag for alice, live: edit flags.json and watch"),
        ("/beta?user=alice", "a minimal API gated with RequireFeature(\"beta\"): alice is in"),
        ("/beta?user=carol", "the same gate for carol: 404, with a ProblemDetails body"),
        ("/checkout?user=alice", "a Razor Page gated with [FeatureGate(\"new-checkout\")], the <feature> tag helper and a priced cart"),
        ("/checkout?user=bob", "the same page for bob: another checkout-ui variation"),
        ("/api/reports", "an MVC controller gated with [FeatureGate(\"reports\")]"),
        ("/api/flags?user=alice", "MapFeatureFlags: the flags the front end reads, for alice, as JSON (value and variation id)"),
        ("/api/flags", "the same endpoint signed out: 401, it requires authorization"),
        ("/health", "the AddFeatureFlagsHealthCheck() result"),
    ];

    /// <summary>The page, with <paramref name="welcome"/> (a flag value: any text) HTML-encoded.</summary>
    public static IResult Render(string welcome)
    {
        var html = HtmlEncoder.Default;
        var links = string.Concat(Demos.Select(d =>
            $"""    <li><a href="{html.Encode(d.Href)}">{html.Encode(d.Href)}</a>: {html.Encode(d.What)}</li>{"\n"}"""));
        return Results.Content(
            $"""
            <!DOCTYPE html>
            <html><head><title>FeatureFlags sample</title></head>
            <body>
              <h1 id="welcome">{html.Encode(welcome)}</h1>
              <p>The <code>welcome-text</code> flag, read through the scoped <code>IFeatureFlags</code> in a minimal API.
                 Pick the demo user with <code>?user=</code> (alice, bob, carol).</p>
              <ul>
            {links}  </ul>
              <form method="post" action="/buy?user=alice">
                <button type="submit">POST /buy?user=alice</button>: evaluates the pricing flags, then tracks the purchase
              </form>
            </body></html>
            """,
            "text/html; charset=utf-8");
    }
}
