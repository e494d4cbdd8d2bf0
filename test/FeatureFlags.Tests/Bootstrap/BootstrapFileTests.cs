using FeatureFlags.DataSystem.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Bootstrap;

public sealed class BootstrapFileTests : IDisposable
{
    private const string OnlineSecret = "secret-secret-secret-secret-secret-secret-00";

    private const string Envelope = """
        {
          "messageType": "data-sync",
          "data": {
            "eventType": "full",
            "featureFlags": [
              {
                "id": "3f2c1a5e-0000-0000-0000-000000000001",
                "key": "dark-mode",
                "variationType": "boolean",
                "variations": [ { "id": "on", "value": "true" }, { "id": "off", "value": "false" } ],
                "targetUsers": [ { "keyIds": [ "bob" ], "variationId": "off" } ],
                "rules": [],
                "isEnabled": true,
                "disabledVariationId": "off",
                "fallthrough": { "includedInExpt": false, "variations": [ { "id": "on", "rollout": [ 0, 1 ], "exptRollout": 1 } ] },
                "exptIncludeAllTargets": false,
                "isArchived": false,
                "updatedAt": "2024-01-01T00:00:00.000Z"
              }
            ],
            "segments": []
          }
        }
        """;

    private const string Simple = """
        {
          // hand-written
          "flags": {
            "new-checkout": true,
            "banner": { "value": "v1", "users": { "alice": "v2" } },
            "limit": 10,
            "config": { "a": 1 }
          }
        }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("featureflags-bootstrap-").FullName;
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogCollector _logs = new();
    private IConfigurationRoot? _configuration;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [Trait("Conformance", "CONF-04")]
    public async Task Offline_EnvelopeFile_ServesFlagsAndIsReady()
    {
        var path = Write("flags.json", Envelope);
        await using var sp = Build(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        var client = sp.GetRequiredService<IFeatureFlagClient>();
        Assert.True(client.BoolVariation("dark-mode", FlagUser.Create("alice")));
        Assert.False(client.BoolVariation("dark-mode", FlagUser.Create("bob"), defaultValue: true));
        Assert.Equal(FeatureFlagsState.Ready, sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        Assert.Null(sync.Loop);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Offline_SimpleFile_CompilesIntoFlags()
    {
        var path = Write("flags.json", Simple);
        await using var sp = Build(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        var client = sp.GetRequiredService<IFeatureFlagClient>();
        var anyone = FlagUser.Create("zoe");
        Assert.True(client.BoolVariation("new-checkout", anyone));
        Assert.Equal("v1", client.StringVariation("banner", anyone, "default"));
        Assert.Equal("v2", client.StringVariation("banner", FlagUser.Create("alice"), "default"));
        Assert.Equal(10, client.IntVariation("limit", anyone));
        Assert.Equal(1, client.JsonVariation("config", anyone, new Dictionary<string, int>())["a"]);
        Assert.Equal(FeatureFlagsState.Ready, sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current.State);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Offline_NoFile_StaysInitializingWithError()
    {
        await using var sp = Build(null);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current;
        Assert.Equal(FeatureFlagsState.Initializing, status.State);
        Assert.Contains("BootstrapFile", status.LastError, StringComparison.Ordinal);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Offline_FileEdited_ReloadsThenKeepsLastGoodFlagsWhenBroken()
    {
        var path = Write("flags.json", """{ "flags": { "banner": "v1" } }""");
        await using var sp = Build(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();
        var client = sp.GetRequiredService<IFeatureFlagClient>();
        var store = sp.GetRequiredService<IFlagStore>();
        var user = FlagUser.Create("u");
        await sync.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal("v1", client.StringVariation("banner", user, "default"));

        var changed = new TaskCompletionSource<FlagsChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.FlagsChanged += (_, e) => changed.TrySetResult(e);
        File.WriteAllText(path, """{ "flags": { "banner": "v2" } }""");
        await AdvanceUntil(() => changed.Task.IsCompleted);

        Assert.Contains("banner", (await changed.Task).FlagKeys);
        Assert.Equal("v2", client.StringVariation("banner", user, "default"));

        File.WriteAllText(path, "{\n  \"flags\": {\n    \"banner\": \"v3\",,\n  }\n}");
        await AdvanceUntil(() => _logs.GetSnapshot().Any(r => r.Id.Id == 5001));

        var error = _logs.GetSnapshot().First(r => r.Id.Id == 5001);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains("line 3, column 20", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
        Assert.Equal("v2", client.StringVariation("banner", user, "default"));
        var statusProvider = sp.GetRequiredService<IFeatureFlagsStatusProvider>();
        var status = statusProvider.Current;
        Assert.Equal(FeatureFlagsState.Ready, status.State);
        Assert.Contains("line 3, column 20", status.LastError, StringComparison.Ordinal);
        Assert.Equal(status.LastError, status.BootstrapFileError);

        // A good edit applies and clears the error.
        File.WriteAllText(path, """{ "flags": { "banner": "v4" } }""");
        await AdvanceUntil(() => statusProvider.Current.BootstrapFileError is null);
        Assert.Equal("v4", client.StringVariation("banner", user, "default"));
        Assert.Equal(FeatureFlagsState.Ready, statusProvider.Current.State);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("Conformance", "CONF-03")]
    public async Task Start_InvalidFile_FailsNamingTheFileLineAndColumnOneBased(bool offline)
    {
        var path = Write("flags.json", "{\n  \"flags\": {\n    \"banner\": \"v3\",,\n  }\n}");
        await using var sp = Build(path, offline);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => sync.StartAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith($"Bootstrap file '{path}' is invalid at line 3, column 20: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("last good flags", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(ex.InnerException);
        Assert.False(sp.GetRequiredService<IFlagStore>().IsInitialized);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Start_InvalidFileWithWideCharacters_ColumnCountsCharactersNotBytes()
    {
        const string Line2 = "  \"flags\": { \"caf\u00e9-\u00fcber\": @ }";
        var path = Write("flags.json", "{\n" + Line2 + "\n}");
        await using var sp = Build(path);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken));

        var column = Line2.IndexOf('@', StringComparison.Ordinal) + 1; // two characters before it take two bytes each
        Assert.Contains($"at line 2, column {column}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "CONF-03")]
    public async Task Start_InvalidFile_FailsHostStart()
    {
        var path = Write("flags.json", "{ \"flags\": ");
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new());
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddFeatureFlags(o =>
        {
            o.Offline = true;
            o.BootstrapFile = path;
        });
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"Bootstrap file '{path}' is invalid at line 1, column ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Online_BootstrapFile_SeedsStoreBeforeServerAnswers()
    {
        var path = Write("flags.json", Simple);
        await using var sp = Build(path, offline: false);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("new-checkout", FlagUser.Create("u")));
        Assert.NotNull(sync.Loop);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "CONF-05")]
    public async Task Overrides_ForceValues_AndConfigurationReloadAppliesLive()
    {
        var path = Write("flags.json", """{ "flags": { "banner": "v1", "limit": 10 } }""");
        await using var sp = Build(path, overrides: new() { ["FeatureFlags:Overrides:banner"] = "v9" });
        var sync = sp.GetRequiredService<FlagDataSystem>();
        var client = sp.GetRequiredService<IFeatureFlagClient>();
        var user = FlagUser.Create("u");
        await sync.StartAsync(TestContext.Current.CancellationToken);

        var detail = client.StringVariationDetail("banner", user, "default");
        Assert.Equal("v9", detail.Value);
        Assert.Equal(EvaluationReasonKind.LocalOverride, detail.Kind);
        Assert.Equal("overridden locally", detail.Reason);
        Assert.True(client.GetAllFlags(user).TryGetDetail("banner", out var inAll));
        Assert.Equal(detail, inAll); // the all-flags entry keeps the override's own reason
        Assert.Equal(10, client.IntVariation("limit", user));

        var changed = new TaskCompletionSource<FlagsChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        sp.GetRequiredService<IFlagStore>().FlagsChanged += (_, e) => changed.TrySetResult(e);
        _configuration!["FeatureFlags:Overrides:banner"] = "v8";
        _configuration["FeatureFlags:Overrides:new-checkout"] = "True";
        _configuration.Reload();

        var args = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Contains("banner", args.FlagKeys);
        Assert.Equal("v8", client.StringVariation("banner", user, "default"));
        Assert.True(client.BoolVariation("new-checkout", user));
        Assert.Equal(10, client.IntVariation("limit", user));
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "CONF-05")]
    public async Task ConfigurationReload_AfterStart_DoesNotChangeTheRunningClient_ExceptOverrides()
    {
        await using var sp = Build(null, offline: false, overrides: new() { ["FeatureFlags:Streaming:Uri"] = $"ws://127.0.0.1:{ClosedPort()}" });
        var sync = sp.GetRequiredService<FlagDataSystem>();
        var bound = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        await sync.StartAsync(TestContext.Current.CancellationToken);

        _configuration!["FeatureFlags:Streaming:PingInterval"] = "00:00:01";
        _configuration["FeatureFlags:EnvSecret"] = "another-secret-another-secret-another-sec";
        _configuration["FeatureFlags:Events:Enabled"] = "false";
        _configuration.Reload();

        // The client keeps the options it was started with (bound and validated once); only Overrides follow reloads.
        var now = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        Assert.Same(bound, now);
        Assert.Equal(TimeSpan.FromSeconds(15), now.Streaming.PingInterval);
        Assert.Equal(OnlineSecret, now.EnvSecret);
        Assert.True(now.Events.Enabled);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "STORE-08")]
    public async Task Cache_ColdStartWithUnreachableServer_ServesCachedFlags()
    {
        var cache = Write("cache.json", Envelope.Replace("\"messageType\": \"data-sync\",", $"\"messageType\": \"data-sync\", \"environment\": \"{FeatureFlags.DataSystem.EnvironmentIdentity.Of(OnlineSecret)}\",", StringComparison.Ordinal));
        await using var sp = Build(null, offline: false, overrides: new() { ["FeatureFlags:CacheFile"] = cache, ["FeatureFlags:Streaming:Uri"] = $"ws://127.0.0.1:{ClosedPort()}" });
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("dark-mode", FlagUser.Create("alice")));
        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current;
        Assert.Equal(FeatureFlagsState.Interrupted, status.State);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "STORE-08")]
    public async Task Cache_ServerData_IsWrittenAtomicallyAfterTheDelay_AndReadBack()
    {
        var cache = Path.Combine(_directory, "cache.json");
        await using (var sp = Build(null, offline: false, overrides: new() { ["FeatureFlags:CacheFile"] = cache, ["FeatureFlags:Streaming:Uri"] = $"ws://127.0.0.1:{ClosedPort()}" }))
        {
            var sync = sp.GetRequiredService<FlagDataSystem>();
            await sync.StartAsync(TestContext.Current.CancellationToken);
            sync.Apply(FeatureFlags.DataSystem.FlagDataSet.Parse(Envelope));
            Assert.False(File.Exists(cache));

            _time.Advance(TimeSpan.FromSeconds(1));

            Assert.True(File.Exists(cache));
            Assert.False(File.Exists(cache + ".tmp"));
            await sync.StopAsync(TestContext.Current.CancellationToken);
        }

        var payload = FeatureFlags.Model.Internal.WireJson.ReadDataSync(File.ReadAllBytes(cache));
        var flag = Assert.Single(payload.FeatureFlags!.Items);
        Assert.Equal("dark-mode", flag.Key);
        Assert.Equal(2, flag.Variations!.Count);
    }

    [Fact]
    [Trait("Conformance", "STORE-01")]
    public async Task Online_BootstrapSeed_IsReplacedByTheServersFullDataSet()
    {
        await using var server = await FeatureFlags.Tests.Support.FakeFeatBitServer.StartAsync(_time, TestContext.Current.CancellationToken);
        server.UpsertFlag(FeatureFlags.Tests.Support.FakeFeatBitServer.BoolFlag("new-checkout", false, 1_700_000_000_000));
        var path = Write("flags.json", """{ "flags": { "new-checkout": true, "only-local": true } }""");
        await using var sp = Build(path, offline: false, overrides: new()
        {
            ["FeatureFlags:EnvSecret"] = server.Secret,
            ["FeatureFlags:Streaming:Uri"] = server.StreamingUri.ToString(),
        });
        var sync = sp.GetRequiredService<FlagDataSystem>();
        var client = sp.GetRequiredService<IFeatureFlagClient>();

        await sync.StartAsync(TestContext.Current.CancellationToken);
        Assert.True(await sp.GetRequiredService<IFeatureFlagsStatusProvider>().WaitForReadyAsync(Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken));

        Assert.Equal([0L], server.DataSyncTimestamps);
        Assert.False(client.BoolVariation("new-checkout", FlagUser.Create("u"), defaultValue: true));
        Assert.False(sp.GetRequiredService<IFlagStore>().ContainsFlag("only-local"));
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "CONF-04")]
    public void Validate_OfflineWithoutSecret_Succeeds_AndMissingBootstrapFileNamesTheKey()
    {
        var validator = new FeatureFlags.Internal.FeatureFlagsOptionsValidator();

        Assert.True(validator.Validate(null, new FeatureFlagsOptions { Offline = true }).Succeeded);
        var result = validator.Validate(null, new FeatureFlagsOptions { Offline = true, BootstrapFile = Path.Combine(_directory, "missing.json") });
        Assert.True(result.Failed);
        Assert.Contains("FeatureFlags:BootstrapFile", result.FailureMessage, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task AdvanceUntil(Func<bool> done)
    {
        // The watcher reports on its own thread; advancing the fake clock fires the debounce timer once it is armed.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "Timed out waiting for the bootstrap file to be reloaded.");
            _time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, TestContext.Current.CancellationToken);
        }
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private ServiceProvider Build(string? bootstrapFile, bool offline = true, Dictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FeatureFlags:Offline"] = offline ? "true" : "false",
            ["FeatureFlags:StartWaitTime"] = "00:00:00",
            ["FeatureFlags:Streaming:Uri"] = "ws://127.0.0.1:1",
        };
        if (!offline)
        {
            settings["FeatureFlags:EnvSecret"] = OnlineSecret;
        }

        if (bootstrapFile is not null)
        {
            settings["FeatureFlags:BootstrapFile"] = bootstrapFile;
        }

        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _configuration = configuration;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(b => b.AddProvider(new FakeLoggerProvider(_logs)));
        services.AddFeatureFlags(configuration);
        var sp = services.BuildServiceProvider();
        _ = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        return sp;
    }
}
