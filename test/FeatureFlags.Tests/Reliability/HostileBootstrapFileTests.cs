using System.Text;
using System.Text.Json;
using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Hostile content in the bootstrap file (deeply nested, huge, invalid UTF-8) and in a JSON flag variation: refused
/// with a log line that names the file and position, and the last good flags keep serving (issue 9, part 3).
/// </summary>
public sealed class HostileBootstrapFileTests : IDisposable
{
    private const int InvalidFile = 5001;
    private static readonly FlagUser User = FlagUser.Create("u");
    private readonly string _directory = Directory.CreateTempSubdirectory("featureflags-hostile-").FullName;
    private readonly FakeLogCollector _logs = new();

    public static TheoryData<string, byte[]> HostileFiles => new()
    {
        { "nested arrays", Encoding.UTF8.GetBytes("{\"flags\":{\"good\":" + HostileInputTests.Nest("[", "]") + "}}") },
        { "nested objects", Encoding.UTF8.GetBytes("{\"flags\":{\"good\":" + HostileInputTests.Nest("{\"a\":", "}") + "}}") },
        { "nested envelope", Encoding.UTF8.GetBytes("{\"messageType\":\"data-sync\",\"data\":" + HostileInputTests.Nest("{\"a\":", "}") + "}") },
        { "invalid UTF-8 in a key", [.. "{\"flags\":{\""u8, 0xFF, 0xFE, .. "\":true}}"u8] },
        { "invalid UTF-8 in a value", [.. "{\"flags\":{\"good\":\""u8, 0xC3, .. "\"}}"u8] },
        { "encoded lone surrogate", [.. "{\"flags\":{\"good\":\""u8, 0xED, 0xA0, 0x80, .. "\"}}"u8] },
        { "truncated", Encoding.UTF8.GetBytes("{\"flags\":{\"good\":fal") },
        { "not JSON at all", [0x00, 0x01, 0x02, 0xFF] },
    };

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task HostileFile_IsRefusedWithItsPosition_AndTheLastGoodFlagsKeepServing(string what, byte[] content)
    {
        var path = Path.Combine(_directory, "flags.json");
        await File.WriteAllTextAsync(path, """{"flags":{"good":true}}""", TestContext.Current.CancellationToken);
        await using var sp = Build(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();
        await sync.StartAsync(TestContext.Current.CancellationToken);
        var client = sp.GetRequiredService<IFeatureFlagClient>();
        Assert.True(client.BoolVariation("good", User));

        await File.WriteAllBytesAsync(path, content, TestContext.Current.CancellationToken);
        var loaded = sp.GetRequiredService<BootstrapFileSource>().Load();

        Assert.False(loaded, what);
        var error = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == InvalidFile);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.True(client.BoolVariation("good", User), what);
        var status = sp.GetRequiredService<IFeatureFlagsStatusProvider>().Current;
        Assert.Equal(FeatureFlagsState.Ready, status.State);
        Assert.Contains("is invalid at line", status.LastError, StringComparison.Ordinal);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task HugeFile_ManyMegabytesOfUnknownFields_Loads()
    {
        var path = Path.Combine(_directory, "flags.json");
        var flag = FakeFeatBitServer.BoolFlag("big", true, 1_700_000_000_000);
        flag["description"] = new string('d', 8 * 1024 * 1024);
        await File.WriteAllTextAsync(path, "{\"junk\":\"" + new string('j', 4 * 1024 * 1024) + "\",\"data\":{\"featureFlags\":[" + flag.ToJsonString() + "],\"segments\":[]}}", TestContext.Current.CancellationToken);
        await using var sp = Build(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();

        await sync.StartAsync(TestContext.Current.CancellationToken);

        Assert.True(sp.GetRequiredService<IFeatureFlagClient>().BoolVariation("big", User));
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 5000);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Conformance", "API-01")]
    public void JsonVariation_DeeplyNestedOrHugeValue_ReturnsTheDefaultOrTheValue_NeverThrows()
    {
        var nested = HostileInputTests.Nest("[", "]");
        var huge = "{\"items\":[" + string.Join(",", Enumerable.Repeat("\"" + new string('x', 100) + "\"", 50_000)) + "]}";
        var store = TestFlags.Store(
            JsonFlag("nested", nested),
            JsonFlag("nested-object", HostileInputTests.Nest("{\"a\":", "}")),
            JsonFlag("huge", huge),
            JsonFlag("broken", "{\"a\":"));
        var client = TestFlags.Client(store);
        var fallback = JsonDocument.Parse("\"fallback\"").RootElement;

        foreach (var key in new[] { "nested", "nested-object", "broken" })
        {
            var detail = client.JsonVariationDetail(key, User, fallback, ReliabilityJsonContext.Default.JsonElement);
            Assert.Equal((JsonValueKind.String, EvaluationReasonKind.WrongType), (detail.Value.ValueKind, detail.Kind));
            Assert.Equal(fallback.GetString(), client.JsonVariation(key, User, fallback, ReliabilityJsonContext.Default.JsonElement).GetString());

            // The raw text is served as it is to a string caller and by GetAllFlags.
            Assert.Equal(EvaluationReasonKind.Fallthrough, client.StringVariationDetail(key, User, "d").Kind);
            Assert.True(client.GetAllFlags(User).Flags.ContainsKey(key));
        }

        var big = client.JsonVariationDetail("huge", User, fallback, ReliabilityJsonContext.Default.JsonElement);
        Assert.Equal(50_000, big.Value.GetProperty("items").GetArrayLength());
    }

    private static FeatureFlags.Model.Internal.FlagDto JsonFlag(string key, string value)
    {
        var flag = TestFlags.Flag(key).Variation("v", value).Fallthrough("v").Build();
        flag.VariationType = "json";
        return flag;
    }

    private ServiceProvider Build(string path)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:Offline"] = "true",
            ["FeatureFlags:BootstrapFile"] = path,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(_logs)));
        services.AddFeatureFlags(configuration);
        var sp = services.BuildServiceProvider();
        _ = sp.GetRequiredService<IOptions<FeatureFlagsOptions>>().Value;
        return sp;
    }
}
