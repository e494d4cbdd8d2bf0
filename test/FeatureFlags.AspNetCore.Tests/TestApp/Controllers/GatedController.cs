using Microsoft.AspNetCore.Mvc;

namespace FeatureFlags.AspNetCore.Tests.TestApp.Controllers;

[FeatureGate("ctrl-flag")]
[Route("mvc/gated")]
public sealed class GatedController : Controller
{
    [HttpGet("")]
    public IActionResult Index() => Content("gated-controller");

    [HttpGet("both")]
    [FeatureGate("action-flag")]
    public IActionResult Both() => Content("gated-both");
}

[Route("mvc/open")]
public sealed class OpenController : ControllerBase
{
    [HttpGet("")]
    public IActionResult Index() => Content("open");

    [HttpGet("action")]
    [FeatureGate("action-flag")]
    public IActionResult GatedAction() => Content("gated-action");

    [HttpGet("variation")]
    [FeatureGate("color", Variation = "blue")]
    public IActionResult Variation() => Content("blue");

    [HttpGet("any")]
    [FeatureGate(FeatureGateRequirement.Any, "f-on", "f-off")]
    public IActionResult Any() => Content("any");
}
