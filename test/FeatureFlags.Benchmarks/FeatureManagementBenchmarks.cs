using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FeatureManagement;
using Microsoft.FeatureManagement.FeatureFilters;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// The closest Microsoft.FeatureManagement 4.x equivalents of <see cref="EvaluationBenchmarks"/>, configured the way an
/// application does it (in-memory <see cref="IConfiguration"/> + <c>AddFeatureManagement()</c>) and measured in the
/// same run: an on/off flag, the <c>Microsoft.Percentage</c> filter at 50 and the <c>Microsoft.Targeting</c> filter
/// with a targeting context passed per call (a listed user, and 1,000 unlisted users that fall to the 50% default).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class FeatureManagementBenchmarks
{
    private const string OnOffFeature = "CheckoutV2";
    private const string PercentageFeature = "NewSearch";
    private const string TargetingFeature = "BetaTesters";
    private const int UserCount = 1000;

    private ServiceProvider _services = null!;
    private IVariantFeatureManager _features = null!;
    private TargetingContext[] _contexts = null!;
    private TargetingContext _listedUser = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new Dictionary<string, string?>
        {
            [$"FeatureManagement:{OnOffFeature}"] = "true",
            [$"FeatureManagement:{PercentageFeature}:EnabledFor:0:Name"] = "Microsoft.Percentage",
            [$"FeatureManagement:{PercentageFeature}:EnabledFor:0:Parameters:Value"] = "50",
            [$"FeatureManagement:{TargetingFeature}:EnabledFor:0:Name"] = "Microsoft.Targeting",
            [$"FeatureManagement:{TargetingFeature}:EnabledFor:0:Parameters:Audience:DefaultRolloutPercentage"] = "50",
        };
        for (var i = 0; i < 100; i++)
        {
            settings[string.Create(CultureInfo.InvariantCulture, $"FeatureManagement:{TargetingFeature}:EnabledFor:0:Parameters:Audience:Users:{i}")] =
                string.Create(CultureInfo.InvariantCulture, $"tester-{i:D3}");
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddFeatureManagement();
        _services = services.BuildServiceProvider();
        _features = _services.GetRequiredService<IVariantFeatureManager>();

        _contexts = new TargetingContext[UserCount];
        for (var i = 0; i < UserCount; i++)
        {
            _contexts[i] = new TargetingContext { UserId = string.Create(CultureInfo.InvariantCulture, $"user-{i:D5}"), Groups = [] };
        }

        _listedUser = new TargetingContext { UserId = "tester-057", Groups = [] };

        // Each benchmark must measure the path it names.
        if (!OnOff() || !TargetingListedUser())
        {
            throw new InvalidOperationException("Microsoft.FeatureManagement is not configured as expected.");
        }

        var on = 0;
        for (var i = 0; i < UserCount; i++)
        {
            on += TargetingDefaultRollout() ? 1 : 0;
        }

        if (on is < 400 or > 600)
        {
            throw new InvalidOperationException($"The 50% targeting rollout enabled {on} of {UserCount} users.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    [BenchmarkCategory("OnOff")]
    public bool OnOff() => Wait(_features.IsEnabledAsync(OnOffFeature));

    [Benchmark]
    [BenchmarkCategory("Rollout")]
    public bool Percentage50() => Wait(_features.IsEnabledAsync(PercentageFeature));

    [Benchmark]
    [BenchmarkCategory("Targeting")]
    public bool TargetingListedUser() => Wait(_features.IsEnabledAsync(TargetingFeature, _listedUser));

    [Benchmark]
    [BenchmarkCategory("Rollout")]
    public bool TargetingDefaultRollout() => Wait(_features.IsEnabledAsync(TargetingFeature, NextContext()));

    private TargetingContext NextContext()
    {
        var i = _next;
        _next = i == UserCount - 1 ? 0 : i + 1;
        return _contexts[i];
    }

    // Every call completes synchronously with this configuration; the fallback only keeps the benchmark honest if not.
    private static bool Wait(ValueTask<bool> pending)
        => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
}
