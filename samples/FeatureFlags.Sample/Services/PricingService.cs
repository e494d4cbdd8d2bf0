using System.Globalization;

namespace FeatureFlags.Sample.Services;

/// <summary>A service that reads flags for the current request's user through the scoped <see cref="IFeatureFlags"/>.</summary>
public sealed class PricingService(IFeatureFlags flags)
{
    private const decimal UnitPrice = 9.99m;

    // One fixed currency and culture, so the sample shows the same amounts on every machine.
    private static readonly CultureInfo Money = CultureInfo.GetCultureInfo("en-US");

    /// <summary>The price of <paramref name="items"/> items (capped by <c>max-cart-items</c>), rounded to the cent.</summary>
    public decimal Total(int items)
    {
        var limit = flags.IntVariation("max-cart-items", 5);
        var discount = flags.IsEnabled("new-checkout") ? 0.9m : 1m;
        return Math.Round(Math.Min(items, limit) * UnitPrice * discount, 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>An amount as money: <c>$26.97</c>.</summary>
    public static string Format(decimal amount) => amount.ToString("C2", Money);
}
