using System.Text.Json.Nodes;

namespace FeatureFlags.AotSmoke;

/// <summary>
/// The core package online: WebSocket sync from <see cref="MiniFeatBitServer"/> serving the real-server capture
/// (seed data in shared/fixtures/README.md), rule and segment evaluation, an unsolicited patch seen by
/// <see cref="IFlagTracker"/>, and insight events posted over HTTP.
/// </summary>
internal static class OnlineSmoke
{
    // The capture's seed secret (shared/fixtures/README.md); the mini server does not check it.
    private const string EnvSecret = "PC0eD1pLeEmKm8DR4vOktQTAtuWh0vO0yajn1sW0o_IQ";

    public static async Task RunAsync(string fullDataSyncFile, SmokeChecks checks)
    {
        var fullDataSync = await File.ReadAllTextAsync(fullDataSyncFile);
        await using var server = await MiniFeatBitServer.StartAsync(fullDataSync);

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddFeatureFlags(options =>
        {
            options.EnvSecret = EnvSecret;
            options.Streaming.Uri = server.BaseUri;
            options.Events.Uri = server.BaseUri;
            options.StartWaitTime = TimeSpan.FromSeconds(15);
        });

        using var host = builder.Build();
        await host.StartAsync();
        Console.WriteLine($"online (WebSocket sync from {server.BaseUri}):");
        var status = host.Services.GetRequiredService<IFeatureFlagsStatusProvider>();
        checks.True("WaitForReadyAsync", await status.WaitForReadyAsync(TimeSpan.FromSeconds(15)), status.Current.LastError ?? string.Empty);

        var client = host.Services.GetRequiredService<IFeatureFlagClient>();
        var user1 = FlagUser.Builder("user-1").Build();
        var user2 = FlagUser.Builder("user-2").Build();
        var user3 = FlagUser.Builder("user-3").Custom("plan", "premium").Build();
        var american = FlagUser.Builder("user-9").Country("US").Build();
        var premium = FlagUser.Builder("user-8").Custom("plan", "premium").Build();

        checks.Equal("BoolVariation(bool-flag, user-1) (target)", false, client.BoolVariation("bool-flag", user1, true));
        checks.Equal("BoolVariationDetail(bool-flag, US).Kind (rule)", EvaluationReasonKind.RuleMatch, client.BoolVariationDetail("bool-flag", american).Kind);
        checks.Equal("BoolVariation(bool-flag, US)", true, client.BoolVariation("bool-flag", american));
        checks.Equal("StringVariation(color-flag, user-2) (segment include)", "green", client.StringVariation("color-flag", user2, "none"));
        checks.Equal("StringVariation(color-flag, user-3) (segment exclude)", "red", client.StringVariation("color-flag", user3, "none"));
        checks.Equal("StringVariation(color-flag, plan=premium) (segment rule)", "green", client.StringVariation("color-flag", premium, "none"));
        checks.Equal("IntVariation(off-flag) (disabled)", 0, client.IntVariation("off-flag", user1, -1));
        checks.Equal("GetAllFlags(user-2).Flags.Count", 3, client.GetAllFlags(user2).Flags.Count);

        // An unsolicited patch turns off-flag on: IFlagTracker sees the value change.
        var changed = new TaskCompletionSource<FlagValueChangedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tracker = host.Services.GetRequiredService<IFlagTracker>();
        using (tracker.OnFlagValueChanged("off-flag", user1, e => changed.TrySetResult(e)))
        {
            await server.PushAsync(EnableOffFlagPatch(fullDataSync));
            var e = await checks.WaitAsync("IFlagTracker.OnFlagValueChanged(off-flag)", changed.Task, TimeSpan.FromSeconds(15));
            if (e is not null)
            {
                checks.Equal("FlagValueChangedEvent(off-flag)", "0 -> 1", $"{e.OldValue} -> {e.NewValue}");
            }
        }

        checks.Equal("IntVariation(off-flag) after patch", 1, client.IntVariation("off-flag", user1, -1));

        client.Track(user2, "checkout-completed", 42);
        await client.FlushAsync();
        checks.True("Track + FlushAsync posted the metric event", await server.WaitForEventAsync("\"checkout-completed\"", TimeSpan.FromSeconds(15)), $"received: {string.Join(" | ", server.Events)}");
        await host.StopAsync();
    }

    /// <summary>A patch data-sync re-sending <c>off-flag</c> from the full set, enabled and with a later <c>updatedAt</c>.</summary>
    private static string EnableOffFlagPatch(string fullDataSync)
    {
        var full = JsonNode.Parse(fullDataSync)!;
        var flag = full["data"]!["featureFlags"]!.AsArray().Single(f => (string?)f!["key"] == "off-flag")!.DeepClone();
        flag["isEnabled"] = true;
        flag["updatedAt"] = "2030-01-01T00:00:00Z";
        var patch = new JsonObject
        {
            ["messageType"] = "data-sync",
            ["data"] = new JsonObject
            {
                ["eventType"] = "patch",
                ["featureFlags"] = new JsonArray(flag),
                ["segments"] = new JsonArray(),
            },
        };
        return patch.ToJsonString();
    }
}
