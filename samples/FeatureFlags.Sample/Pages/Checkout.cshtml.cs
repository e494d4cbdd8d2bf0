using FeatureFlags.AspNetCore;
using FeatureFlags.Sample.Services;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FeatureFlags.Sample.Pages;

/// <summary>A Razor Page behind a flag: 404 unless <c>new-checkout</c> is on for the user.</summary>
[FeatureGate("new-checkout")]
public sealed class CheckoutModel(PricingService pricing) : PageModel
{
    public decimal Total { get; private set; }

    public void OnGet() => Total = pricing.Total(3);
}
