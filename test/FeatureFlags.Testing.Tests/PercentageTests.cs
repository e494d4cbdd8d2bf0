using System.Globalization;
using Xunit;

namespace FeatureFlags.Testing.Tests;

/// <summary>Percentage splits go through FeatBit's real bucketing: deterministic per user, near the split over many.</summary>
public sealed class PercentageTests : IDisposable
{
    private const int Users = 10_000;
    private readonly Harness _h = new();

    public void Dispose() => _h.Dispose();

    private static FlagUser User(int i) => FlagUser.Create("user-" + i.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public void Percentage_FiftyFifty_EachUserGetsTheBucketFeatBitGivesThem()
    {
        _h.Flags.Flag("pricing").Percentage(("A", 50), ("B", 50));

        for (var i = 0; i < 1000; i++)
        {
            var user = User(i);
            var expected = Harness.Bucket("pricing" + user.Key) <= 0.5 ? "A" : "B";
            Assert.Equal(expected, _h.Client.StringVariation("pricing", user, "default"));
        }
    }

    [Theory]
    [InlineData(50, 50)]
    [InlineData(10, 90)]
    [InlineData(25, 75)]
    public void Percentage_ManyUsers_SplitIsNearThePercentages(double a, double b)
    {
        _h.Flags.Flag("pricing").Percentage(("A", a), ("B", b));

        var countA = Enumerable.Range(0, Users).Count(i => _h.Client.StringVariation("pricing", User(i), "default") == "A");

        // 10,000 users: the binomial standard deviation is at most 50 users; 3% (300 users) is six of them.
        Assert.InRange(countA, (int)(Users * ((a / 100) - 0.03)), (int)(Users * ((a / 100) + 0.03)));
    }

    [Fact]
    public void Percentage_SameUserInAnotherApp_GetsTheSameValue()
    {
        _h.Flags.Flag("pricing").Percentage(("A", 30), ("B", 30), ("C", 40));
        using var other = new Harness();
        other.Flags.Flag("pricing").Percentage(("A", 30), ("B", 30), ("C", 40));

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(_h.Client.StringVariation("pricing", User(i), "x"), other.Client.StringVariation("pricing", User(i), "y"));
        }
    }

    [Fact]
    public void Percentage_HundredAndZero_EveryoneGetsTheHundred()
    {
        _h.Flags.Flag("f").Percentage((true, 100), (false, 0));

        Assert.All(Enumerable.Range(0, 200), i => Assert.True(_h.Client.BoolVariation("f", User(i))));
    }

    [Fact]
    public void Percentage_NotAddingUpTo100_Throws()
    {
        Assert.Throws<ArgumentException>(() => _h.Flags.Flag("f").Percentage(("A", 50), ("B", 40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _h.Flags.Flag("f").Percentage(("A", 150), ("B", -50)));
        Assert.Throws<ArgumentException>(() => _h.Flags.Flag("f").Percentage());
        Assert.Empty(_h.Flags.FlagKeys);
    }

    [Fact]
    public void Percentage_InRule_SplitsOnlyTheMatchingUsers()
    {
        _h.Flags.Flag("f").ValueForAll("outside")
            .Rule(r => r.When("country", RuleOperator.Equal, "NL").Percentage(("A", 50), ("B", 50)));

        var values = Enumerable.Range(0, 400)
            .Select(i => _h.Client.StringVariation("f", FlagUser.Builder("u" + i.ToString(CultureInfo.InvariantCulture)).Country("NL").Build(), "default"))
            .ToHashSet();

        Assert.Equal(["A", "B"], values.Order(StringComparer.Ordinal));
        Assert.Equal("outside", _h.Client.StringVariation("f", User(1), "default"));
    }

    [Fact]
    public void BucketBy_UsersOfOneCompany_ShareTheirValue()
    {
        _h.Flags.Flag("f").Percentage(("A", 50), ("B", 50)).BucketBy("company");

        for (var company = 0; company < 50; company++)
        {
            var name = "company-" + company.ToString(CultureInfo.InvariantCulture);
            var expected = Harness.Bucket("f" + name) <= 0.5 ? "A" : "B";
            for (var user = 0; user < 5; user++)
            {
                Assert.Equal(expected, _h.Client.StringVariation("f", Harness.User(name + "-" + user.ToString(CultureInfo.InvariantCulture), company: name), "default"));
            }
        }
    }

    [Fact]
    public void InExperiment_PercentageSplit_EvaluationsAreSentToTheExperiment()
    {
        _h.Flags.Flag("pricing").Percentage(("A", 50), ("B", 50)).ForUser("vip", "A").InExperiment();

        _h.Client.StringVariation("pricing", User(1), "default");
        _h.Client.StringVariation("pricing", FlagUser.Create("vip"), "default");

        var events = _h.Flags.Events.Evaluations;
        Assert.True(events[0].SendToExperiment);
        Assert.False(events[1].SendToExperiment); // individually targeted users are outside the experiment
    }

    [Fact]
    public void InExperiment_IncludingTargetedUsers_TargetedEvaluationsAreSentToo()
    {
        _h.Flags.Flag("pricing").ValueForAll("A").ForUser("vip", "B").InExperiment(includeTargetedUsers: true);

        _h.Client.StringVariation("pricing", FlagUser.Create("vip"), "default");

        Assert.True(Assert.Single(_h.Flags.Events.Evaluations).SendToExperiment);
    }

    [Fact]
    public void NotInExperiment_EvaluationsAreNotSentToAnExperiment()
    {
        _h.Flags.Flag("pricing").Percentage(("A", 50), ("B", 50));

        _h.Client.StringVariation("pricing", User(1), "default");

        Assert.False(Assert.Single(_h.Flags.Events.Evaluations).SendToExperiment);
    }
}
