using FeatureFlags.AspNetCore;
using Microsoft.AspNetCore.Mvc;

namespace FeatureFlags.Sample.Controllers;

/// <summary>A controller behind a flag: 404 while <c>reports</c> is off.</summary>
[ApiController]
[Route("api/reports")]
[FeatureGate("reports")]
public sealed class ReportsController : ControllerBase
{
    private static readonly string[] Reports = ["daily", "weekly"];

    [HttpGet]
    public IActionResult Get() => Ok(Reports);
}
