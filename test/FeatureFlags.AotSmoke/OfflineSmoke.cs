using FeatureFlags.Hooks;

namespace FeatureFlags.AotSmoke;

/// <summary>
/// The core package on a generic host, offline from a bootstrap file: typed, JSON and detail variations,
/// <c>GetAllFlags</c>, <c>Track</c>, overrides, an evaluation hook, and <see cref="IFlagTracker"/> seeing a change to the
/// watched file.
/// </summary>
internal static class OfflineSmoke
{
    public static async Task RunAsync(string bootstrapFile, SmokeChecks checks, Action onFirstEvaluation)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var hook = new SmokeHook();
        builder.Services.AddFeatureFlags(options =>
        {
            options.Offline = true;
            options.BootstrapFile = bootstrapFile;
            options.Overrides["forced-flag"] = "true";
        }).AddHook(hook);

        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var alice = FlagUser.Builder("alice").Name("Alice").Country("GB").Build();
        var bob = FlagUser.Builder("bob").Build();

        var first = client.BoolVariation("beta", alice);
        onFirstEvaluation();
        Console.WriteLine("offline (generic host, bootstrap file):");
        checks.Equal("BoolVariation(beta, alice)", true, first);
        checks.True("IsInitialized", client.IsInitialized);
        checks.Equal("status", FeatureFlagsState.Ready, host.Services.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        checks.Equal("BoolVariation(beta, bob)", false, client.BoolVariation("beta", bob));
        checks.Equal("StringVariation(welcome-text)", "Hello from flags.json", client.StringVariation("welcome-text", bob, "default"));
        checks.Equal("StringVariation(checkout-ui, alice)", "v2", client.StringVariation("checkout-ui", alice, "v0"));
        checks.Equal("IntVariation(max-cart-items)", 10, client.IntVariation("max-cart-items", bob, 1));
        checks.Equal("DoubleVariation(discount)", 0.25, client.DoubleVariation("discount", bob, 0));
        checks.Equal("JsonVariation<Banner>(banner)", new Banner("Spring sale", "green"), client.JsonVariation("banner", bob, new Banner("none", "none"), SmokeJsonContext.Default.Banner));

        var detail = client.StringVariationDetail("checkout-ui", alice, "v0");
        checks.Equal("StringVariationDetail(checkout-ui, alice).Kind", EvaluationReasonKind.TargetMatch, detail.Kind);
        checks.Equal("BoolVariationDetail(missing).Kind", EvaluationReasonKind.FlagNotFound, client.BoolVariationDetail("missing", bob).Kind);
        checks.Equal("IntVariationDetail(welcome-text).Kind", EvaluationReasonKind.WrongType, client.IntVariationDetail("welcome-text", bob).Kind);
        checks.Equal("BoolVariation(forced-flag) (override)", true, client.BoolVariation("forced-flag", bob));

        var all = client.GetAllFlags(alice);
        checks.True("GetAllFlags(alice).IsReady", all.IsReady);
        checks.Equal("GetAllFlags(alice).Flags.Count", 8, all.Flags.Count);
        checks.Equal("GetAllFlags(alice)[new-checkout]", "true", all.GetValue("new-checkout"));

        // Offline sends nothing; an exception here fails the run (Program catches it).
        client.Track(alice, "checkout-completed", 42);
        await client.FlushAsync();

        // The hook ran around every typed evaluation above (GetAllFlags runs none) and after Track.
        checks.Equal("hook: before stages", 11, hook.Before);
        checks.Equal("hook: after stages", 11, hook.After);
        checks.Equal("hook: data kept from before to after", 11, hook.DataKept);
        checks.Equal("hook: JSON evaluations", 1, hook.Json);
        checks.Equal("hook: AfterTrack", "checkout-completed", hook.LastTrack);

        // IFlagTracker: rewriting the watched file turns "beta" on for bob.
        var changed = new TaskCompletionSource<FlagValueChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tracker = host.Services.GetRequiredService<IFlagTracker>();
        using (tracker.OnFlagValueChanged("beta", bob, e => changed.TrySetResult(e)))
        {
            var text = await File.ReadAllTextAsync(bootstrapFile);
            await File.WriteAllTextAsync(bootstrapFile, text.Replace("\"beta\": { \"value\": false", "\"beta\": { \"value\": true", StringComparison.Ordinal));
            var e = await checks.WaitAsync("IFlagTracker.OnFlagValueChanged(beta, bob)", changed.Task, TimeSpan.FromSeconds(15));
            if (e is not null)
            {
                checks.Equal("FlagValueChangedEvent(beta, bob)", "false -> true", $"{e.OldValue} -> {e.NewValue}");
            }
        }

        checks.Equal("BoolVariation(beta, bob) after reload", true, client.BoolVariation("beta", bob));
        await host.StopAsync();
    }
}
