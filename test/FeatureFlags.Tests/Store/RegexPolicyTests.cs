using System.Text.RegularExpressions;
using FeatureFlags.Store.Internal;
using Xunit;

namespace FeatureFlags.Tests.Store;

/// <summary>
/// Which engine compiles a rule regex: the non-backtracking one (linear in the input, so a crafted input cannot make a
/// pattern such as <c>^(a+)+$</c> burn CPU) where it accepts the pattern, else the backtracking one with the match
/// timeout; and that the choice never changes what <c>MatchRegex</c> answers (the official SDK's <c>Regex.IsMatch</c>).
/// </summary>
public sealed class RegexPolicyTests
{
    private static readonly RegexPolicy Policy = RegexPolicy.For(new EvaluationOptions(), TimeProvider.System);

    [Fact]
    public void For_DefaultOptions_PrefersNonBacktrackingWithTenMillisecondTimeoutAndBreaker()
        => Assert.Equal(
            (true, TimeSpan.FromMilliseconds(10), 5, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
            (Policy.PreferNonBacktracking, Policy.MatchTimeout, Policy.BreakerThreshold, Policy.BreakerWindow, Policy.BreakerOpenTime));

    [Theory]
    [InlineData("^(a+)+$")]
    [InlineData("^(a|aa)+$")]
    [InlineData("^(\\w+\\s?)*$")]
    [InlineData("(x+x+)+y")]
    public void Compile_CatastrophicPattern_UsesNonBacktrackingEngineAndAnswersCraftedInput(string pattern)
    {
        // A long timeout: the backtracking engine would need hours for this input (2^60 paths), so finishing at all
        // shows the engine is linear; the answer is the one the backtracking engine would eventually give.
        var regex = (Policy with { MatchTimeout = TimeSpan.FromMinutes(1) }).Compile(pattern);
        var crafted = new string(pattern.Contains('x', StringComparison.Ordinal) ? 'x' : 'a', 60) + "!";

        Assert.True(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.DoesNotMatch(regex, crafted);
    }

    [Theory]
    [InlineData("(a)\\1")] // backreference
    [InlineData("(?<x>a)\\k<x>")] // named backreference
    [InlineData("^(?=(a+)+$)")] // lookahead
    [InlineData("^(?!admin)")] // negative lookahead
    [InlineData("(?<=@)example\\.com$")] // lookbehind
    [InlineData("(?<!test)-user$")] // negative lookbehind
    [InlineData("(?>a+)b")] // atomic group
    [InlineData("(?(a)ab|cd)")] // conditional
    [InlineData("(?<o>a)(?<-o>b)")] // balancing group
    [InlineData("\\Gabc")] // contiguous-match anchor
    public void Compile_ConstructTheNonBacktrackingEngineRefuses_FallsBackToBacktrackingWithTimeout(string pattern)
    {
        var regex = Policy.Compile(pattern);

        Assert.False(regex.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(RegexOptions.CultureInvariant, regex.Options);
        Assert.Equal(Policy.MatchTimeout, regex.MatchTimeout);
    }

    [Fact]
    public void Compile_LegacyPolicy_UsesBacktrackingEngine()
        => Assert.Equal(RegexOptions.CultureInvariant, RegexPolicy.Legacy(TimeSpan.FromMilliseconds(100)).Compile("^(a+)+$").Options);

    [Fact]
    public void Compile_InvalidPattern_ThrowsArgumentException()
        => Assert.ThrowsAny<ArgumentException>(() => Policy.Compile("(unclosed"));

    public static TheoryData<string> ParityPatterns() =>
    [
        "^[a-z0-9._%+-]+@example\\.com$", "abc", "(?i)^admin", "^\\d{3}-\\d{4}$", "colou?r", "^(a|ab)(c|bcd)(d*)$", ".*", "^$",
        "\\bfoo\\b", "[^\\s]+$", "(a+)+$", "^.{2,5}$", "\\p{Lu}", "é", "(?m)^x$", "a.c", "^\\w+$", "x*?y", "(?i)straße", "(?i)istanbul",
        "^[A-Z]{2}$", "(?s)a.c", "^(?:GB|FR|DE)$", "\\d+(\\.\\d+)?", "(?x) ^ a b c $", "[[:alpha:]]", "a{2,}", "^\\S+@\\S+$",
    ];

    [Theory]
    [MemberData(nameof(ParityPatterns))]
    [Trait("Conformance", "EVAL-03")]
    public void Compile_AnyAcceptedPattern_AnswersIsMatchAsTheBacktrackingEngine(string pattern)
    {
        string[] inputs =
        [
            string.Empty, "abc", "ADMIN-1", "admin", "jane.doe@example.com", "555-1234", "color", "colour", "abcd", "aaaa!", "aaaa",
            "a\nx", "a\nc", "héllo", "HÉLLO", "İstanbul", "ISTANBUL", "STRASSE", "straße", "GB", "gb", "3.14", "foo bar", "xxxy",
            "  ", "é", "e\u0301", "a b c", "[:alpha:]",
        ];
        // Semantics only: a long timeout, so a busy test machine cannot turn an answer into a timeout.
        var reference = new Regex(pattern, RegexOptions.CultureInvariant);
        var compiled = (Policy with { MatchTimeout = TimeSpan.FromMinutes(1) }).Compile(pattern);

        Assert.True(compiled.Options.HasFlag(RegexOptions.NonBacktracking), "the parity set holds patterns the engine accepts");
        foreach (var input in inputs)
        {
            Assert.True(reference.IsMatch(input) == compiled.IsMatch(input), $"'{pattern}' on '{input}'");
        }
    }
}
