using FeatureFlags;
using FeatureFlags.AspNetCore;
using FeatureFlags.Sample;
using FeatureFlags.Sample.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

// Offline from flags.json by default. To connect to a FeatBit server (appsettings.FeatBit.json), pass the environment to
// the app, not to `dotnet run` (which takes `--environment` for itself):
//   dotnet run --project samples/FeatureFlags.Sample -- --environment FeatBit
//   ASPNETCORE_ENVIRONMENT=FeatBit dotnet run --project samples/FeatureFlags.Sample
builder.Services.AddFeatureFlags(builder.Configuration)     // reads the "FeatureFlags" section
    .AddUserEnricher<DemoUserEnricher>();                    // the demo user's attributes; anonymous visitors become alice
builder.Services.AddAuthentication(DemoAuthenticationHandler.SchemeName) // the sample's stand-in for a login: ?user=alice
    .AddScheme<AuthenticationSchemeOptions, DemoAuthenticationHandler>(DemoAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization();
builder.Services.AddHealthChecks().AddFeatureFlagsHealthCheck();
builder.Services.AddControllers();
builder.Services.AddRazorPages();
builder.Services.AddScoped<PricingService>();
builder.Services.AddProblemDetails();                        // error responses without a body get a ProblemDetails one

var app = builder.Build();
SampleLog.Mode(app.Logger, app.Services.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value); // offline or streaming
app.UseStatusCodePages();                                    // before the gates: a rejected request (404) gets a body
app.UseAuthentication();                                     // before UseFeatureFlags: the user's claims make the flag user
app.UseAuthorization();
app.UseFeatureFlags();                                       // the request's user + [FeatureGate]/RequireFeature

app.MapGet("/", (IFeatureFlags flags) => HomePage.Render(flags.StringVariation("welcome-text", "FeatureFlags sample")));
app.MapGet("/beta", () => "You are in the beta.").RequireFeature("beta");
app.MapPost("/buy", (IFeatureFlags flags, PricingService pricing) =>
{
    // Evaluate first, then Track: the metric counts for the variation this user saw (A/B/n experiments).
    var total = pricing.Total(3);
    flags.Track("purchase", (double)total);
    return Results.Ok(new { total, formatted = PricingService.Format(total), checkout = flags.StringVariation("checkout-ui", "v1") });
});
app.MapControllers();
app.MapRazorPages();
app.MapHealthChecks("/health", new() { ResponseWriter = FeatureFlagsHealthResponseWriter.WriteAsync }); // JSON with the error
app.MapFeatureFlags("/api/flags", o => o.Flags = ["new-checkout", "checkout-ui", "banner"]) // only what the front end reads
    .RequireAuthorization();                                 // signed-in users only (here: ?user=alice)

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
