using System.Globalization;
using System.Text;
using FeatureFlags.DataSystem.Internal;
using FeatureFlags.Sync.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FeatureFlags.Tests.Bootstrap;

/// <summary>
/// Bootstrap files larger than one 16 KiB read segment (issue 19, item 1): read into pooled segments and parsed from
/// them, the format told by a scan of the top-level names, errors still named by line and column.
/// </summary>
public sealed class BootstrapLargeFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("featureflags-bootstrap-large-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Offline_DataSyncFileOfManySegments_ServesEveryFlag()
    {
        // Keys of two-, three- and four-byte chars, so chars are cut by segment ends.
        var keys = Enumerable.Range(0, 2_000).Select(i => string.Create(CultureInfo.InvariantCulture, $"größe-€-😀-{i:D4}")).ToArray();
        var path = Write(Envelope(keys.Select(k => FakeFeatBitServer.BoolFlag(k, true, 1_700_000_000_000).ToJsonString())));
        Assert.True(new FileInfo(path).Length > 20 * PooledMessageBuffer.SegmentSize);
        await using var sp = Build(path);

        await sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken);

        var client = sp.GetRequiredService<IFeatureFlagClient>();
        Assert.Equal(keys.Length, client.GetAllFlags(FlagUser.Create("u")).Flags.Count);
        Assert.All(keys.Where((_, i) => i % 97 == 0), key => Assert.True(client.BoolVariation(key, FlagUser.Create("u"))));
    }

    [Fact]
    public async Task Offline_HandWrittenFileWithFlagsAfterLargeProperties_IsReadAsHandWritten()
    {
        // The scan for "flags" skips a long string and a long array that cross several segments first.
        var notes = new string('n', 3 * PooledMessageBuffer.SegmentSize);
        var list = string.Join(",", Enumerable.Range(0, 10_000).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        var path = Write($$"""{ "notes": "{{notes}}", "list": [{{list}}], "flags": { "late-flag": true, "late-text": "x" } }""");
        await using var sp = Build(path);

        await sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken);

        var client = sp.GetRequiredService<IFeatureFlagClient>();
        Assert.True(client.BoolVariation("late-flag", FlagUser.Create("u")));
        Assert.Equal("x", client.StringVariation("late-text", FlagUser.Create("u"), "default"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_ErrorInALaterSegment_NamesItsLine(bool handWritten)
    {
        // One flag per line from line 3; line 2,001 is broken, tens of kilobytes into the file.
        var lines = Enumerable.Range(0, 3_000).Select(i => handWritten
            ? string.Create(CultureInfo.InvariantCulture, $"\"flag-{i:D4}\": true")
            : FakeFeatBitServer.BoolFlag(string.Create(CultureInfo.InvariantCulture, $"flag-{i:D4}"), true, 1_700_000_000_000).ToJsonString()).ToArray();
        lines[1_998] = lines[1_998].Replace("true", "tru@", StringComparison.Ordinal);
        var text = handWritten
            ? "{\n\"flags\": {\n" + string.Join(",\n", lines) + "\n}\n}"
            : Envelope(lines);
        var path = Write(text);
        Assert.True(Encoding.UTF8.GetByteCount(text[..text.IndexOf('@', StringComparison.Ordinal)]) > 2 * PooledMessageBuffer.SegmentSize);
        await using var sp = Build(path);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => sp.GetRequiredService<FlagDataSystem>().StartAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith($"Bootstrap file '{path}' is invalid at line 2001, column ", ex.Message, StringComparison.Ordinal);
    }

    // A data-sync envelope with one flag per line, from line 3 on ("{" and the envelope's head take lines 1 and 2).
    private static string Envelope(IEnumerable<string> flags)
        => "{\n\"messageType\": \"data-sync\", \"data\": { \"eventType\": \"full\", \"segments\": [], \"featureFlags\": [\n"
            + string.Join(",\n", flags) + "\n] }\n}";

    private string Write(string content)
    {
        var path = Path.Combine(_directory, "flags.json");
        File.WriteAllText(path, content);
        return path;
    }

    private static ServiceProvider Build(string bootstrapFile)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FeatureFlags:Offline"] = "true",
            ["FeatureFlags:BootstrapFile"] = bootstrapFile,
        }).Build();
        var services = new ServiceCollection();
        services.AddFeatureFlags(configuration);
        return services.BuildServiceProvider();
    }
}
