using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// Reads the shared fixtures in place from <c>../shared/fixtures/</c> beside the repository root (never copied into
/// the repo). When they are missing, tests skip with the reason, except under <c>CI=true</c>, where they fail.
/// </summary>
internal static class Fixtures
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    public static string PathOf(string relative)
    {
        var root = Root.Value;
        if (root is null)
        {
            const string Message = "The shared fixtures folder ../shared/fixtures beside the repository root was not found.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(Message + " CI requires it.");
            }

            Assert.Skip(Message + " Clone the project with shared/ beside it to run this test.");
        }

        var path = Path.Combine(root!, relative);
        Assert.True(File.Exists(path), $"Fixture {path} is missing.");
        return path;
    }

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    public static DataSyncPayloadDto DataSync(string relative) => WireJson.ReadDataSync(Bytes(relative));

    /// <summary>A store loaded with a fixture's full data set.</summary>
    public static FlagStore Store(string relative, FeatureFlagsOptions? options = null)
    {
        var store = NewStore(options);
        store.Apply(DataSync(relative));
        return store;
    }

    public static FlagStore NewStore(FeatureFlagsOptions? options = null)
        => new(Options.Create(options ?? new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance);

    public static FeatureFlagClient Client(FlagStore store, FeatureFlagsOptions? options = null)
        => new(store, Options.Create(options ?? new FeatureFlagsOptions()));

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FeatureFlags.AspNetCore.sln")))
            {
                var fixtures = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
                return Directory.Exists(fixtures) ? fixtures : null;
            }
        }

        return null;
    }
}
