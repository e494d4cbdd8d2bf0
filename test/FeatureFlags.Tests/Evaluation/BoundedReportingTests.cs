using System.Globalization;
using FeatureFlags.Evaluation.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// The client's "logged once" sets do not grow with the keys callers pass: unknown keys are never remembered, and the
/// failures of real flags are remembered for at most <see cref="FeatureFlagClient.MaxReportedKeys"/> flags.
/// </summary>
public sealed class BoundedReportingTests
{
    private static readonly FlagUser User = FlagUser.Create("user-1");

    [Fact]
    public void UnknownKeys_TenThousandDistinct_RememberNothingLogNothingAndServeTheDefault()
    {
        var logger = new FakeLogger<FeatureFlagClient>();
        var client = new FeatureFlagClient(TestFlags.Store(TestFlags.OneRule("real")), Options.Create(new FeatureFlagsOptions()), logger: logger);

        for (var i = 0; i < 10_000; i++)
        {
            var detail = client.StringVariationDetail("no-such-flag-" + i.ToString(CultureInfo.InvariantCulture), User, "default");
            Assert.Equal(("default", EvaluationReasonKind.FlagNotFound, Reasons.FlagNotFound), (detail.Value, detail.Kind, detail.Reason));
        }

        Assert.Equal(0, client.ReportedFailureKeys);
        Assert.Equal(0, client.UnreportedProblems);
        Assert.Empty(logger.Collector.GetSnapshot());
    }

    [Fact]
    public void MalformedFlags_MoreThanTheBound_SetCappedAndOneNoteLogged()
    {
        const int extra = 10;
        var logger = new FakeLogger<FeatureFlagClient>();
        var flags = Enumerable.Range(0, FeatureFlagClient.MaxReportedKeys + extra).Select(Broken).ToArray();
        var client = new FeatureFlagClient(TestFlags.Store(flags), Options.Create(new FeatureFlagsOptions()), logger: logger);

        foreach (var flag in flags)
        {
            Assert.Equal(EvaluationReasonKind.MalformedFlag, client.BoolVariationDetail(flag.Key!, User, true).Kind);
            Assert.True(client.BoolVariation(flag.Key!, User, true));
        }

        var log = logger.Collector.GetSnapshot();
        Assert.Equal(FeatureFlagClient.MaxReportedKeys, client.ReportedFailureKeys);
        Assert.Equal(FeatureFlagClient.MaxReportedKeys, log.Count(r => r.Id.Id == 1201));
        var note = Assert.Single(log, r => r.Id.Id == 1204);
        Assert.Contains("4096", note.Message, StringComparison.Ordinal);
        Assert.Equal(extra * 2, client.UnreportedProblems);
    }

    /// <summary>A flag whose fallthrough serves a variation it does not have: every evaluation is malformed.</summary>
    private static FlagDto Broken(int i)
        => TestFlags.Flag("broken-" + i.ToString(CultureInfo.InvariantCulture)).Variation("v", "true").Fallthrough("missing").Build();
}
