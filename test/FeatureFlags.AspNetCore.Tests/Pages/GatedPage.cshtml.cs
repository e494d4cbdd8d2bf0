using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FeatureFlags.AspNetCore.Tests.Pages;

[FeatureGate("page-flag")]
public sealed class GatedPageModel : PageModel
{
    public void OnGet()
    {
    }
}
