using System.Text.Json.Nodes;
using FeatureFlags.Bootstrap.Internal;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace FeatureFlags.Tests.Security;

/// <summary>
/// Log forging (issue 14, item 7): a flag key with CR/LF from the flag data (here the bootstrap file, which goes
/// through the same store as the server's data) is written escaped in every log message, so a plain-text sink shows
/// one line, never a forged one.
/// </summary>
public sealed class LogForgingTests : IDisposable
{
    private const string EvilKey = "evil\r\n2026-12-01 info: FeatureFlags[5000] forged line\u2028\u001b[2J";
    private const string EscapedKey = "evil\\r\\n2026-12-01 info: FeatureFlags[5000] forged line\\u2028\\u001B[2J";
    private static readonly FlagUser User = FlagUser.Create("u");
    private readonly string _directory = Directory.CreateTempSubdirectory("featureflags-forging-").FullName;
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [Trait("Conformance", "INV-04")]
    public async Task FlagKeyWithLineBreaks_IsEscapedInStoreAndEvaluationLogs()
    {
        // A flag whose fallthrough serves a variation it does not have: broken data (1004), malformed when evaluated (1201).
        var broken = FakeFeatBitServer.BoolFlag(EvilKey, true, 1_700_000_000_000);
        broken["fallthrough"]!["variations"]![0]!["id"] = "missing";
        var text = FakeFeatBitServer.BoolFlag("text\r\nforged", true, 1_700_000_000_000);
        foreach (var variation in text["variations"]!.AsArray())
        {
            variation!["value"] = "not a number";
        }

        var path = Path.Combine(_directory, "flags.json");
        var envelope = new JsonObject { ["messageType"] = "data-sync", ["data"] = new JsonObject { ["featureFlags"] = new JsonArray(broken, text), ["segments"] = new JsonArray() } };
        await File.WriteAllTextAsync(path, envelope.ToJsonString(), TestContext.Current.CancellationToken);
        await using var sp = Offline(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();
        await sync.StartAsync(TestContext.Current.CancellationToken);
        var client = sp.GetRequiredService<IFeatureFlagClient>();

        Assert.Equal(EvaluationReasonKind.MalformedFlag, client.BoolVariationDetail(EvilKey, User).Kind);
        Assert.Equal(EvaluationReasonKind.WrongType, client.IntVariationDetail("text\r\nforged", User).Kind);

        var records = _logs.GetSnapshot();
        Assert.Contains(records, r => r.Id.Id == 1004 && r.Message.Contains($"Flag '{EscapedKey}'", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Id.Id == 1201 && r.Message.Contains($"Flag '{EscapedKey}'", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Id.Id == 1203 && r.Message.Contains("Flag 'text\\r\\nforged'", StringComparison.Ordinal));
        AssertNoControlCharacters(records);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Reload_ErrorQuotingAFlagKeyWithLineBreaks_IsEscaped()
    {
        var path = Path.Combine(_directory, "flags.json");
        await File.WriteAllTextAsync(path, """{"flags":{"good":true}}""", TestContext.Current.CancellationToken);
        await using var sp = Offline(path);
        var sync = sp.GetRequiredService<FlagDataSystem>();
        await sync.StartAsync(TestContext.Current.CancellationToken);

        // The parser's error names the flag: "Flag 'evil\r\n...': the value for user 'alice' is a string, not a boolean".
        await File.WriteAllTextAsync(path, """{"flags":{"evil\r\nforged":{"value":true,"users":{"alice":"x"}}}}""", TestContext.Current.CancellationToken);
        Assert.False(sp.GetRequiredService<BootstrapFileSource>().Load());

        var records = _logs.GetSnapshot();
        Assert.Contains(records, r => r.Id.Id == 5001 && r.Message.Contains("Flag 'evil\\r\\nforged'", StringComparison.Ordinal));
        AssertNoControlCharacters(records);
        await sync.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("plain-key", "plain-key")]
    [InlineData("a\rb\nc\td", "a\\rb\\nc\\td")]
    [InlineData("nul\0del\u007fnel\u0085", "nul\\u0000del\\u007Fnel\\u0085")]
    [InlineData("bidi\u202eexe.txt\u2066", "bidi\\u202Eexe.txt\\u2066")]
    [InlineData("ünïcødé 中文", "ünïcødé 中文")]
    public void Escape_ControlCharacters_BecomeEscapes(string text, string expected)
        => Assert.Equal(expected, LogText.Escape(text));

    [Fact]
    public void Escape_NothingToEscape_ReturnsTheSameString()
    {
        var text = "flag-key";
        Assert.Same(text, LogText.Escape(text));
    }

    private static void AssertNoControlCharacters(IReadOnlyList<FakeLogRecord> records)
    {
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            Assert.False(record.Message.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'), $"Event {record.Id.Id} has a raw control character: {record.Message}");
        }
    }

    private ServiceProvider Offline(string path)
        => SecurityHost.Build(new() { ["FeatureFlags:Offline"] = "true", ["FeatureFlags:BootstrapFile"] = path }, _logs);
}
