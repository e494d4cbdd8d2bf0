using FeatureFlags;
using FeatureFlags.Sample.Services;

var builder = WebApplication.CreateBuilder(args);

// Offline from flags.json by default; `--environment FeatBit` (appsettings.FeatBit.json) connects to a FeatBit server.
builder.Services.AddFeatureFlags(builder.Configuration)     // reads the "FeatureFlags" section
    .AddUserEnricher<DemoUserEnricher>();                    // the sample's stand-in for a signed-in user
builder.Services.AddHealthChecks().AddFeatureFlagsHealthCheck();
builder.Services.AddControllers();
builder.Services.AddRazorPages();
builder.Services.AddScoped<PricingService>();

var app = builder.Build();
// A real app calls app.UseAuthentication() here, so the user's claims are there for UseFeatureFlags.
app.UseFeatureFlags();                                       // the request's user + [FeatureGate]/RequireFeature

app.MapGet("/", (IFeatureFlags flags) => flags.StringVariation("welcome-text", "FeatureFlags sample"));
app.MapGet("/beta", () => "You are in the beta.").RequireFeature("beta");
app.MapPost("/buy", (IFeatureFlags flags, PricingService pricing) =>
{
    // Evaluate first, then Track: the metric counts for the variation this user saw (A/B/n experiments).
    var total = pricing.Total(3);
    flags.Track("purchase", (double)total);
    return Results.Ok(new { total, checkout = flags.StringVariation("checkout-ui", "v1") });
});
app.MapControllers();
app.MapRazorPages();
app.MapHealthChecks("/health");
app.MapFeatureFlags("/api/flags");

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
