using FeatureFlags;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddFeatureFlags(builder.Configuration);    // reads the "FeatureFlags" section of appsettings.json
builder.Services.AddHealthChecks().AddFeatureFlagsHealthCheck();

var app = builder.Build();
// An app that authenticates calls app.UseAuthentication() first, so the user's claims are there.
app.UseFeatureFlags();                                       // the request's user + [FeatureGate]/RequireFeature

app.MapGet("/", (IFeatureFlags flags) => flags.StringVariation("welcome-text", "FeatureFlags sample"));
app.MapGet("/beta", () => "You are in the beta.").RequireFeature("beta");
app.MapHealthChecks("/health");

app.Run();
