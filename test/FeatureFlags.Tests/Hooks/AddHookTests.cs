using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Hooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FeatureFlags.Tests.Hooks;

/// <summary>Registering hooks through DI: <c>AddHook&lt;T&gt;()</c>, <c>AddHook(instance)</c>, per client.</summary>
public sealed class AddHookTests
{
    private static readonly FlagUser User = FlagUser.Create("user-1");

    [Fact]
    public void AddHookT_DefaultClient_ResolvesTheSingletonFromTheContainer()
    {
        var services = Services();
        services.AddFeatureFlags(Offline).AddHook<CountingHook>();
        using var sp = services.BuildServiceProvider();

        sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("flag", User);

        var hook = sp.GetRequiredService<CountingHook>();
        Assert.Equal(1, hook.Evaluations);
        Assert.Same(hook, Assert.Single(sp.GetRequiredService<FeatureFlagClient>().Hooks!.Hooks));
    }

    [Fact]
    public void AddHookT_ScopedFlags_RunTheHooks()
    {
        var services = Services();
        services.AddFeatureFlags(Offline).AddHook<CountingHook>();
        using var sp = services.BuildServiceProvider();

        using (var scope = sp.CreateScope())
        {
            var flags = scope.ServiceProvider.GetRequiredService<IFeatureFlags>();
            flags.SetUser(User);
            flags.IsEnabled("flag");
            flags.Track("metric", 2);
        }

        var hook = sp.GetRequiredService<CountingHook>();
        Assert.Equal((1, 1), (hook.Evaluations, hook.Tracks));
    }

    [Fact]
    public void AddHook_SameTypeOrInstanceTwice_AddsItOnce_InRegistrationOrder()
    {
        var services = Services();
        var first = new RecordingHook("first");
        services.AddFeatureFlags(Offline).AddHook(first).AddHook<CountingHook>().AddHook(first).AddHook<CountingHook>();
        services.AddFeatureFlags(Offline).AddHook<CountingHook>();
        using var sp = services.BuildServiceProvider();

        var hooks = sp.GetRequiredService<FeatureFlagClient>().Hooks!.Hooks;

        Assert.Equal(2, hooks.Count);
        Assert.Same(first, hooks[0]);
        Assert.IsType<CountingHook>(hooks[1]);
    }

    [Fact]
    public void NoHook_ClientHoldsNoRunner()
    {
        var services = Services();
        services.AddFeatureFlags(Offline);
        using var sp = services.BuildServiceProvider();

        Assert.Null(sp.GetRequiredService<FeatureFlagClient>().Hooks);
    }

    [Fact]
    public void NamedClient_RunsOnlyItsOwnHooks_WithItsName()
    {
        var services = Services();
        var main = new RecordingHook("main");
        var eu = new RecordingHook("eu");
        services.AddFeatureFlags(Offline).AddHook(main);
        services.AddFeatureFlags("eu", Offline).AddHook(eu);
        using var sp = services.BuildServiceProvider();

        sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("main-flag", User);
        sp.GetRequiredKeyedService<IFeatureFlagClient>("eu").StringVariation("eu-flag", User, "x");
        sp.GetRequiredKeyedService<IFeatureFlagClient>("eu").Track(User, "eu-metric");

        Assert.Equal(["main.before main-flag", "main.after main-flag"], main.Log);
        Assert.Equal(["eu.before eu-flag", "eu.after eu-flag", "eu.track eu-metric"], eu.Log);
        Assert.Null(main.LastAfter!.Value.Client);
        Assert.Equal("eu", eu.LastAfter!.Value.Client);
        Assert.Equal("eu", eu.LastTrack!.Value.ClientName);
    }

    [Fact]
    public void NamedClient_ScopedFlags_RunItsHooks()
    {
        var services = Services();
        var eu = new RecordingHook("eu");
        services.AddFeatureFlags(Offline);
        services.AddFeatureFlags("eu", Offline).AddHook(eu);
        using var sp = services.BuildServiceProvider();

        using (var scope = sp.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<IFeatureFlags>().SetUser(User);
            scope.ServiceProvider.GetRequiredKeyedService<IFeatureFlags>("eu").IsEnabled("flag");
        }

        Assert.Equal(["eu.before flag", "eu.after flag"], eu.Log);
        Assert.Same(User, eu.LastAfter!.Value.User);
    }

    [Fact]
    public void NamedClient_HookTypeTheAppRegistered_IsTheAppsInstanceWithAppServices()
    {
        var services = Services();
        services.AddSingleton<AuditSink>();
        services.AddSingleton<AuditingHook>();
        services.AddFeatureFlags(Offline).AddHook<AuditingHook>();
        services.AddFeatureFlags("eu", Offline).AddHook<AuditingHook>();
        using var sp = services.BuildServiceProvider();

        sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("a", User);
        sp.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariation("b", User);

        Assert.Equal(["default:a", "eu:b"], sp.GetRequiredService<AuditSink>().Lines);
    }

    [Fact]
    public void NamedClient_HookTypeTheAppDidNotRegister_IsCreatedForTheClient()
    {
        var services = Services();
        services.AddFeatureFlags("eu", Offline).AddHook<CountingHook>();
        using var sp = services.BuildServiceProvider();

        sp.GetRequiredKeyedService<IFeatureFlagClient>("eu").BoolVariation("flag", User);

        Assert.Null(sp.GetService<CountingHook>());
        var hook = Assert.IsType<CountingHook>(Assert.Single(sp.GetRequiredKeyedService<FeatureFlagClient>("eu").Hooks!.Hooks));
        Assert.Equal(1, hook.Evaluations);
    }

    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        return services;
    }

    private static void Offline(FeatureFlagsOptions options) => options.Offline = true;

    /// <summary>A hook with a constructor dependency the SDK's container provides.</summary>
    private sealed class CountingHook(ILogger<CountingHook> logger) : FeatureFlagsHook
    {
        private int _evaluations;
        private int _tracks;

        public ILogger Logger { get; } = logger;

        public int Evaluations => _evaluations;

        public int Tracks => _tracks;

        public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
        {
            Interlocked.Increment(ref _evaluations);
        }

        public override void AfterTrack(in TrackSeriesContext context) => Interlocked.Increment(ref _tracks);
    }

    /// <summary>An app service only the app's container has.</summary>
    private sealed class AuditSink
    {
        public List<string> Lines { get; } = [];
    }

    private sealed class AuditingHook(AuditSink sink) : FeatureFlagsHook
    {
        public override void AfterEvaluation<T>(in EvaluationSeriesContext<T> context, EvaluationSeriesData data, in EvaluationDetail<T> detail)
        {
            lock (sink.Lines)
            {
                sink.Lines.Add($"{context.ClientName ?? "default"}:{context.FlagKey}");
            }
        }
    }
}
