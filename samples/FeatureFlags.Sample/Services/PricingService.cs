namespace FeatureFlags.Sample.Services;

/// <summary>A service that reads flags for the current request's user through the scoped <see cref="IFeatureFlags"/>.</summary>
public sealed class PricingService(IFeatureFlags flags)
{
    public decimal Total(int items)
    {
        var limit = flags.IntVariation("max-cart-items", 5);
        var discount = flags.IsEnabled("new-checkout") ? 0.9m : 1m;
        return Math.Min(items, limit) * 9.99m * discount;
    }
}
