using Microsoft.AspNetCore.Mvc;

namespace FeatureFlags.AspNetCore.Tests.TestApp.Controllers;

[Route("mvc/named")]
public sealed class NamedGateController : ControllerBase
{
    [HttpGet("default")]
    [FeatureGate("checkout")]
    public IActionResult Default() => Content("default");

    [HttpGet("eu")]
    [FeatureGate("checkout", Client = "eu")]
    public IActionResult Eu() => Content("eu");

    [HttpGet("eu-beta")]
    [FeatureGate("beta", Client = "eu")]
    public IActionResult EuBeta() => Content("eu-beta");
}
