using System.Globalization;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Evaluation;

/// <summary>
/// Every rule operator (protocol §4.4) and the missing-attribute rules (§4.3), each through a real flag in a store
/// and the client: one rule with the condition under test serves "hit", the fallthrough serves "miss".
/// </summary>
public sealed class ConditionTests
{
    private const string FlagKey = "condition-flag";
    private const string Attribute = "attr";
    private const string UserKey = "user-key";
    private const string SegmentA = "0779d76b-afc6-4886-ab65-af8c004273ad";
    private const string SegmentB = "3b4c1f7e-2a9d-4c55-8e0b-6f1a2d3c4b5e";

    private static readonly string[] Cultures = ["de-DE", "tr-TR", ""];

    /// <summary>(op, condition value, user value, expected match).</summary>
    public static TheoryData<string, string, string, bool> OperatorMatrix() => new()
    {
        // Numeric comparisons: invariant culture, NumberStyles.Float, finite values only.
        { "BiggerThan", "9", "10", true },
        { "BiggerThan", "10", "9", false },
        { "BiggerThan", "10", "10", false },
        { "BiggerEqualThan", "10", "10", true },
        { "BiggerEqualThan", "10", "9.99", false },
        { "LessThan", "10", "9", true },
        { "LessThan", "10", "10", false },
        { "LessEqualThan", "10", "10", true },
        { "LessEqualThan", "22", "23", false },
        { "BiggerThan", "999", "1e3", true },
        { "BiggerEqualThan", "1000", "1E3", true },
        { "LessThan", "1E-3", "0.0001", true },
        { "LessThan", "-4", "-5", true },
        { "BiggerThan", "-10", "-9.5", true },
        { "LessEqualThan", "-0", "0", true },
        { "BiggerThan", "1.4", "1.5", true },
        { "LessThan", "2", "1.5", true },
        { "LessThan", "2", "1,5", false },
        { "BiggerThan", "1", "1,5", false },
        { "LessThan", "1,5", "1", false },
        { "BiggerThan", "999", "1,000", false },
        { "LessThan", "1,000", "5", false },
        { "BiggerThan", "1", "abc", false },
        { "LessThan", "1", "abc", false },
        { "BiggerThan", "abc", "5", false },
        { "LessEqualThan", "abc", "abc", false },
        { "BiggerThan", "1", "", false },
        { "LessThan", "", "1", false },
        { "BiggerThan", "1", "NaN", false },
        { "LessThan", "1", "NaN", false },
        { "LessThan", "NaN", "1", false },
        { "BiggerThan", "1", "Infinity", false },
        { "LessThan", "1", "-Infinity", false },
        { "LessThan", "Infinity", "1", false },
        { "BiggerThan", "-Infinity", "1", false },
        { "BiggerThan", "1", "1e400", false },

        // Equal / NotEqual: ordinal, case-sensitive, string (not numeric) equality.
        { "Equal", "v1.0.0", "v1.1.0", false },
        { "Equal", "abc", "abc", true },
        { "Equal", "ABC", "abc", false },
        { "Equal", "10.0", "10", false },
        { "Equal", "", "", true },
        { "Equal", "\u00FC", "u\u0308", false },
        { "Equal", "\u00FC", "\u00FC", true },
        { "Equal", "\u0130", "i", false },
        { "Equal", "I", "i", false },
        { "Equal", "\u00DF", "ss", false },
        { "Equal", "\U0001F600", "\U0001F600", true },
        { "NotEqual", "v1.0.0", "v1.1.0", true },
        { "NotEqual", "abc", "abc", false },
        { "NotEqual", "\u00DF", "ss", true },
        { "NotEqual", "ABC", "abc", true },

        // Contains / NotContain: ordinal, case-sensitive.
        { "Contains", "vip", "vvip", true },
        { "Contains", "VIP", "vvip", false },
        { "Contains", "", "abc", true },
        { "Contains", "ss", "stra\u00DFe", false },
        { "Contains", "\u00FC", "M\u00FCller", true },
        { "Contains", "\u00FC", "Mu\u0308ller", false },
        { "Contains", "\U0001F680", "go \U0001F680 now", true },
        { "Contains", "\u00AD", "abc", false },
        { "NotContain", "vip", "vvip", false },
        { "NotContain", "VIP", "vvip", true },
        { "NotContain", "ss", "stra\u00DFe", true },

        // StartsWith / EndsWith: ordinal (culture-sensitive comparison ignores U+00AD and composes u + U+0308).
        { "StartsWith", "b", "abc", false },
        { "StartsWith", "ab", "abc", true },
        { "StartsWith", "AB", "abc", false },
        { "StartsWith", "\u00ADa", "abc", false },
        { "StartsWith", "u", "u\u0308ber", true },
        { "StartsWith", "i", "\u0130stanbul", false },
        { "StartsWith", "\u0130", "\u0130stanbul", true },
        { "StartsWith", "strass", "stra\u00DFe", false },
        { "EndsWith", "bc", "abc", true },
        { "EndsWith", "BC", "abc", false },
        { "EndsWith", "c\u00AD", "abc", false },
        { "EndsWith", "\U0001F44B", "hi \U0001F44B", true },
        { "EndsWith", "ss", "stra\u00DFe", false },

        // MatchRegex / NotMatchRegex: unanchored search, case-sensitive.
        { "MatchRegex", "colou?r", "color", true },
        { "MatchRegex", "colorr?", "colour", false },
        { "MatchRegex", "colou?r", "my colour!", true },
        { "MatchRegex", "colou?r", "COLOR", false },
        { "MatchRegex", "^abc$", "xabc", false },
        { "MatchRegex", "^\\d{11}$", "18555358000", true },
        { "MatchRegex", "\u00FC", "\u00DCber", false },
        { "MatchRegex", "i", "\u0130", false },
        { "NotMatchRegex", "colou?r", "color", false },
        { "NotMatchRegex", "colorr?", "colour", true },
        { "NotMatchRegex", "colou?r", "COLOR", true },

        // IsOneOf / NotOneOf: the value is a JSON array inside the string; ordinal membership.
        { "IsOneOf", "[\"a\",\"b\"]", "a", true },
        { "IsOneOf", "[\"a\",\"b\"]", "c", false },
        { "IsOneOf", "[\"a\",\"b\"]", "A", false },
        { "IsOneOf", "[\"\u00FC\"]", "u\u0308", false },
        { "IsOneOf", "[]", "a", false },
        { "NotOneOf", "[]", "a", true },
        { "NotOneOf", "[\"a\",\"b\"]", "a", false },
        { "NotOneOf", "[\"a\",\"b\"]", "c", true },

        // IsTrue / IsFalse: case-insensitive "true"/"false"; the condition value is ignored.
        { "IsTrue", "IsTrue", "TRue", true },
        { "IsTrue", "IsTrue", "not-true-string", false },
        { "IsTrue", "IsTrue", "true", true },
        { "IsTrue", "IsTrue", "TRUE", true },
        { "IsTrue", "anything", "true", true },
        { "IsTrue", "IsTrue", "yes", false },
        { "IsTrue", "IsTrue", "1", false },
        { "IsTrue", "IsTrue", "", false },
        { "IsTrue", "IsTrue", "false", false },
        { "IsFalse", "IsFalse", "false", true },
        { "IsFalse", "IsFalse", "FaLsE", true },
        { "IsFalse", "IsFalse", "true", false },
        { "IsFalse", "IsFalse", "0", false },
        { "IsFalse", "IsFalse", "", false },
    };

    [Theory]
    [MemberData(nameof(OperatorMatrix))]
    [Trait("Conformance", "EVAL-03")]
    public void Operator_OnCustomAttribute_MatchesAsSpecified(string op, string conditionValue, string userValue, bool expected)
        => Assert.Equal(expected, Matches(op, conditionValue, userValue));

    [Theory]
    [InlineData("de-DE")]
    [InlineData("tr-TR")]
    [InlineData("")]
    [Trait("Conformance", "EVAL-03")]
    public void Operator_UnderCulture_MatchesAsSpecified(string culture)
    {
        var results = RunMatrixUnder(culture);

        var expected = OperatorMatrix().Select(row => row.Data.Item4).ToArray();
        Assert.Equal(expected, results);
    }

    [Fact]
    [Trait("Conformance", "EVAL-03")]
    public void Operator_AcrossCultures_GivesIdenticalResults()
    {
        var results = Cultures.Select(RunMatrixUnder).ToArray();

        Assert.All(results, r => Assert.Equal(results[0], r));
    }

    [Fact]
    [Trait("Conformance", "EVAL-03")]
    public void IsOneOf_ThousandValues_FindsMembersOnly()
    {
        var values = Enumerable.Range(0, 1000).Select(i => "v" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var list = TestFlags.JsonList(values);

        Assert.True(Matches("IsOneOf", list, "v0"));
        Assert.True(Matches("IsOneOf", list, "v999"));
        Assert.False(Matches("IsOneOf", list, "v1000"));
        Assert.False(Matches("NotOneOf", list, "v500"));
        Assert.True(Matches("NotOneOf", list, "V500"));
    }

    [Fact]
    [Trait("Conformance", "EVAL-03")]
    public void UnknownOperator_NeverMatches()
    {
        Assert.False(Matches("SoundsLike", "abc", "abc"));
        Assert.False(Matches("equal", "abc", "abc"));
    }

    [Theory]
    [InlineData("NotEqual", "x", true)]
    [InlineData("NotContain", "x", true)]
    [InlineData("NotOneOf", "[\"x\"]", true)]
    [InlineData("NotMatchRegex", "x", true)]
    [InlineData("Equal", "", true)]
    [InlineData("IsOneOf", "[\"\"]", true)]
    [InlineData("MatchRegex", "^$", true)]
    [InlineData("StartsWith", "", true)]
    [InlineData("Equal", "x", false)]
    [InlineData("Contains", "x", false)]
    [InlineData("IsOneOf", "[\"x\"]", false)]
    [InlineData("BiggerThan", "-1", false)]
    [InlineData("LessThan", "1", false)]
    [InlineData("IsTrue", "IsTrue", false)]
    [InlineData("IsFalse", "IsFalse", false)]
    [Trait("Conformance", "EVAL-02")]
    public void MissingAttribute_DefaultMode_ReadsAsEmptyString(string op, string conditionValue, bool expected)
        => Assert.Equal(expected, Matches(op, conditionValue, userValue: null));

    [Theory]
    [InlineData("NotEqual", "x")]
    [InlineData("NotContain", "x")]
    [InlineData("NotOneOf", "[\"x\"]")]
    [InlineData("NotMatchRegex", "x")]
    [InlineData("Equal", "")]
    [InlineData("IsOneOf", "[\"\"]")]
    [InlineData("MatchRegex", "^$")]
    [InlineData("MatchRegex", "")]
    [InlineData("StartsWith", "")]
    [InlineData("EndsWith", "")]
    [InlineData("Contains", "")]
    [InlineData("BiggerThan", "-1")]
    [InlineData("LessEqualThan", "1")]
    [InlineData("IsTrue", "IsTrue")]
    [InlineData("IsFalse", "IsFalse")]
    [Trait("Conformance", "EVAL-02")]
    public void MissingAttribute_StrictMode_NeverMatches(string op, string conditionValue)
        => Assert.False(Matches(op, conditionValue, userValue: null, Strict()));

    [Theory]
    [InlineData("NotEqual", "x", "y", true)]
    [InlineData("Equal", "", "", true)]
    [InlineData("NotOneOf", "[\"x\"]", "y", true)]
    [InlineData("BiggerThan", "1", "2", true)]
    [InlineData("Equal", "x", "y", false)]
    [Trait("Conformance", "EVAL-02")]
    public void PresentAttribute_StrictMode_MatchesAsUsual(string op, string conditionValue, string userValue, bool expected)
        => Assert.Equal(expected, Matches(op, conditionValue, userValue, Strict()));

    [Fact]
    [Trait("Conformance", "EVAL-02")]
    public void MissingBuiltIn_DefaultModeReadsEmpty_StrictModeNeverMatches()
    {
        var user = FlagUser.Create(UserKey);
        var notEqualEmail = TestFlags.OneRule(FlagKey, TestFlags.Condition(FlagUser.EmailAttribute, "NotEqual", "a@b.c"));
        var notOneOfCountry = TestFlags.OneRule("country-flag", TestFlags.Condition(FlagUser.CountryAttribute, "NotOneOf", "[\"us\"]"));

        Assert.Equal(TestFlags.Hit, Value(TestFlags.Store(null, [notEqualEmail, notOneOfCountry]), user, FlagKey));
        Assert.Equal(TestFlags.Hit, Value(TestFlags.Store(null, [notEqualEmail, notOneOfCountry]), user, "country-flag"));
        Assert.Equal(TestFlags.Miss, Value(TestFlags.Store(Strict(), [notEqualEmail, notOneOfCountry]), user, FlagKey, Strict()));
        Assert.Equal(TestFlags.Miss, Value(TestFlags.Store(Strict(), [notEqualEmail, notOneOfCountry]), user, "country-flag", Strict()));
    }

    [Theory]
    [InlineData("keyId", "user-7")]
    [InlineData("name", "Ada")]
    [InlineData("email", "ada@example.com")]
    [InlineData("country", "GB")]
    public void BuiltInAttribute_ReadsFlagUserProperty(string property, string value)
    {
        var user = FlagUser.Builder("user-7").Name("Ada").Email("ada@example.com").Country("GB").Build();
        var store = TestFlags.Store(TestFlags.OneRule(FlagKey, TestFlags.Condition(property, "Equal", value)));

        var detail = TestFlags.Client(store).StringVariationDetail(FlagKey, user, "default");

        Assert.Equal((TestFlags.Hit, EvaluationReasonKind.RuleMatch, "match rule " + TestFlags.RuleName), (detail.Value, detail.Kind, detail.Reason));
    }

    [Theory]
    [InlineData("keyId", "user-7")]
    [InlineData("name", "Ada")]
    [InlineData("email", "ada@example.com")]
    [InlineData("country", "GB")]
    [Trait("Conformance", "EVAL-08")]
    public void BuiltInAttribute_WinsOverCustomAttributeOfSameName(string property, string builtInValue)
    {
        var user = FlagUser.Builder("user-7").Name("Ada").Email("ada@example.com").Country("GB").Custom(property, "custom").Build();
        var store = TestFlags.Store(
            TestFlags.OneRule("builtin", TestFlags.Condition(property, "Equal", builtInValue)),
            TestFlags.OneRule("custom", TestFlags.Condition(property, "Equal", "custom")));
        var client = TestFlags.Client(store);

        Assert.Equal(TestFlags.Hit, client.StringVariation("builtin", user, "default"));
        Assert.Equal(TestFlags.Miss, client.StringVariation("custom", user, "default"));
    }

    [Fact]
    public void AttributeName_IsOrdinalCaseSensitive()
    {
        var user = FlagUser.Builder("user-7").Country("GB").Custom("Plan", "premium").Build();
        var store = TestFlags.Store(
            TestFlags.OneRule("plan", TestFlags.Condition("plan", "Equal", "premium")),
            TestFlags.OneRule("country", TestFlags.Condition("Country", "Equal", "GB")));
        var client = TestFlags.Client(store);

        Assert.Equal(TestFlags.Miss, client.StringVariation("plan", user, "default"));
        Assert.Equal(TestFlags.Miss, client.StringVariation("country", user, "default"));
    }

    [Theory]
    [InlineData("included", true)]
    [InlineData("excluded-and-included", false)]
    [InlineData("other", false)]
    [Trait("Conformance", "EVAL-04")]
    public void InSegment_IncludedAndExcludedKeys_ExclusionWins(string key, bool expected)
    {
        var segment = TestFlags.Segment(SegmentA).Included("included", "excluded-and-included").Excluded("excluded-and-included").Build();

        Assert.Equal(expected, SegmentMatches(TestFlags.InSegment, [SegmentA], [segment], FlagUser.Create(key)));
        Assert.Equal(!expected, SegmentMatches(TestFlags.NotInSegment, [SegmentA], [segment], FlagUser.Create(key)));
    }

    [Theory]
    [InlineData("cs", "22", true)]
    [InlineData("cs", "23", false)]
    [InlineData("physics", "22", false)]
    [Trait("Conformance", "EVAL-04")]
    public void InSegment_SegmentRule_AllConditionsMustMatch(string major, string age, bool expected)
    {
        var segment = TestFlags.Segment(SegmentA)
            .Rule(TestFlags.Condition("major", "Equal", "cs"), TestFlags.Condition("age", "LessEqualThan", "22"))
            .Build();
        var user = FlagUser.Builder("u").Custom("major", major).Custom("age", age).Build();

        Assert.Equal(expected, SegmentMatches(TestFlags.InSegment, [SegmentA], [segment], user));
        Assert.Equal(!expected, SegmentMatches(TestFlags.NotInSegment, [SegmentA], [segment], user));
    }

    [Fact]
    [Trait("Conformance", "EVAL-04")]
    public void InSegment_ExcludedKey_WinsOverMatchingRule()
    {
        var segment = TestFlags.Segment(SegmentA).Excluded("u").Rule(TestFlags.Condition("plan", "Equal", "premium")).Build();
        var user = FlagUser.Builder("u").Custom("plan", "premium").Build();

        Assert.False(SegmentMatches(TestFlags.InSegment, [SegmentA], [segment], user));
        Assert.True(SegmentMatches(TestFlags.NotInSegment, [SegmentA], [segment], user));
    }

    [Fact]
    [Trait("Conformance", "EVAL-04")]
    public void InSegment_AnyListedSegment_Matches()
    {
        var a = TestFlags.Segment(SegmentA).Included("in-a").Build();
        var b = TestFlags.Segment(SegmentB).Included("in-b").Build();

        Assert.True(SegmentMatches(TestFlags.InSegment, [SegmentA, SegmentB], [a, b], FlagUser.Create("in-b")));
        Assert.False(SegmentMatches(TestFlags.NotInSegment, [SegmentA, SegmentB], [a, b], FlagUser.Create("in-b")));
        Assert.False(SegmentMatches(TestFlags.InSegment, [SegmentA, SegmentB], [a, b], FlagUser.Create("in-neither")));
        Assert.True(SegmentMatches(TestFlags.NotInSegment, [SegmentA, SegmentB], [a, b], FlagUser.Create("in-neither")));
    }

    [Fact]
    public void InSegment_EmptyIdList_InIsFalseNotInIsTrue()
    {
        Assert.False(SegmentMatches(TestFlags.InSegment, [], [], FlagUser.Create("u")));
        Assert.True(SegmentMatches(TestFlags.NotInSegment, [], [], FlagUser.Create("u")));
    }

    [Fact]
    public void InSegment_SegmentIdInOtherCase_ResolvesAsGuid()
    {
        var segment = TestFlags.Segment(SegmentA).Included("u").Build();

        Assert.True(SegmentMatches(TestFlags.InSegment, [SegmentA.ToUpperInvariant()], [segment], FlagUser.Create("u")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Equal")]
    [InlineData("IsOneOf")]
    public void InSegment_DispatchesOnPropertyAndIgnoresOp(string? op)
    {
        var segment = TestFlags.Segment(SegmentA).Included("u").Build();
        var condition = TestFlags.Condition(TestFlags.InSegment, op, TestFlags.JsonList([SegmentA]));
        var store = TestFlags.Store(null, [TestFlags.OneRule(FlagKey, condition)], [segment]);

        Assert.Equal(TestFlags.Hit, Value(store, FlagUser.Create("u"), FlagKey));
        Assert.Equal(TestFlags.Miss, Value(store, FlagUser.Create("other"), FlagKey));
    }

    [Fact]
    public void InSegment_NestedSegmentConditionInSegmentRule_NeverMatches()
    {
        var inner = TestFlags.Segment(SegmentB).Included("u").Build();
        var outer = TestFlags.Segment(SegmentA).Rule(TestFlags.SegmentCondition(TestFlags.InSegment, SegmentB)).Build();

        Assert.False(SegmentMatches(TestFlags.InSegment, [SegmentA], [outer, inner], FlagUser.Create("u")));
    }

    private static FeatureFlagsOptions Strict() => new() { Evaluation = { StrictMissingAttributes = true } };

    private static bool[] RunMatrixUnder(string culture)
    {
        var (savedCulture, savedUiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            var info = culture.Length == 0 ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(culture);
            CultureInfo.CurrentCulture = info;
            CultureInfo.CurrentUICulture = info;
            Assert.Equal(culture, CultureInfo.CurrentCulture.Name);

            return [.. OperatorMatrix().Select(row => Matches(row.Data.Item1, row.Data.Item2, row.Data.Item3))];
        }
        finally
        {
            CultureInfo.CurrentCulture = savedCulture;
            CultureInfo.CurrentUICulture = savedUiCulture;
        }
    }

    /// <summary>
    /// Evaluates a one-condition flag on the custom attribute <c>attr</c> (absent when <paramref name="userValue"/> is
    /// null) and returns whether the rule matched; a non-match must be a clean fallthrough, never an error.
    /// </summary>
    private static bool Matches(string op, string conditionValue, string? userValue, FeatureFlagsOptions? options = null)
    {
        var store = TestFlags.Store(options, [TestFlags.OneRule(FlagKey, TestFlags.Condition(Attribute, op, conditionValue))]);
        var user = FlagUser.Builder(UserKey).Custom(Attribute, userValue).Build();
        return IsHit(TestFlags.Client(store, options).StringVariationDetail(FlagKey, user, "default"));
    }

    private static bool SegmentMatches(string property, string[] segmentIds, SegmentDto[] segments, FlagUser user)
    {
        var store = TestFlags.Store(null, [TestFlags.OneRule(FlagKey, TestFlags.SegmentCondition(property, segmentIds))], segments);
        return IsHit(TestFlags.Client(store).StringVariationDetail(FlagKey, user, "default"));
    }

    private static bool IsHit(EvaluationDetail<string> detail)
    {
        if (detail.Kind == EvaluationReasonKind.RuleMatch)
        {
            Assert.Equal((TestFlags.Hit, TestFlags.HitId), (detail.Value, detail.VariationId));
            return true;
        }

        Assert.Equal((TestFlags.Miss, TestFlags.MissId, EvaluationReasonKind.Fallthrough), (detail.Value, detail.VariationId, detail.Kind));
        return false;
    }

    private static string Value(FlagStore store, FlagUser user, string flagKey, FeatureFlagsOptions? options = null)
        => TestFlags.Client(store, options).StringVariation(flagKey, user, "default");
}
