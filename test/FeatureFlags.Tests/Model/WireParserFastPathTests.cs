using System.Globalization;
using System.Text;
using System.Text.Json;
using FeatureFlags.Model.Internal;
using Xunit;

namespace FeatureFlags.Tests.Model;

/// <summary>
/// The parser's fast paths against the general ones they stand in for: property names dispatched on their length
/// (every name, in every case), short decimals without the general double parser, the comment-refusing first attempt
/// (a comment anywhere gives the same entities as none), and the string pool's hash.
/// </summary>
public sealed class WireParserFastPathTests
{
    private static readonly string[] FlagNames =
    [
        "id", "key", "variationType", "variations", "targetUsers", "rules", "isEnabled", "disabledVariationId",
        "fallthrough", "exptIncludeAllTargets", "isArchived", "updatedAt",
    ];

    private const string Flag = """
        {"id":"0f0c0e2a-5f0e-4e58-9d1e-4d8e5f0b8a11","key":"flag-a","variationType":"boolean",
         "variations":[{"id":"t","value":"true"},{"id":"f","value":"false"}],
         "targetUsers":[{"keyIds":["u1","u2"],"variationId":"t"}],
         "rules":[{"id":"r1","name":"Countries","dispatchKey":"keyId","includedInExpt":true,
                   "conditions":[{"property":"country","op":"IsOneOf","value":"[\"us\",\"gb\"]"}],
                   "variations":[{"id":"t","rollout":[0,0.25],"exptRollout":1},{"id":"f","rollout":[0.25,1],"exptRollout":0.5}]}],
         "isEnabled":true,"disabledVariationId":"f",
         "fallthrough":{"dispatchKey":"keyId","includedInExpt":true,"variations":[{"id":"t","rollout":[0,1],"exptRollout":1}]},
         "exptIncludeAllTargets":true,"isArchived":true,"updatedAt":1700000000000}
        """;

    [Theory]
    [InlineData("lower")]
    [InlineData("upper")]
    [InlineData("pascal")]
    [InlineData("alternating")]
    public void FlagProperties_EveryNameInEveryCase_Read(string casing)
    {
        var json = Flag;
        foreach (var name in FlagNames)
        {
            json = json.Replace($"\"{name}\":", $"\"{Cased(name, casing)}\":", StringComparison.Ordinal);
        }

        var flag = ParseOne(json);

        Assert.Equal("0f0c0e2a-5f0e-4e58-9d1e-4d8e5f0b8a11", flag.Id);
        Assert.Equal("flag-a", flag.Key);
        Assert.Equal("boolean", flag.VariationType);
        Assert.Equal(["t", "f"], flag.Variations!.Select(v => v.Id));
        Assert.Equal(["u1", "u2"], flag.TargetUsers![0].KeyIds!);
        Assert.Equal("Countries", Assert.Single(flag.Rules!).Name);
        Assert.True(flag.IsEnabled);
        Assert.Equal("f", flag.DisabledVariationId);
        Assert.Equal("t", Assert.Single(flag.Fallthrough!.Variations!).Id);
        Assert.True(flag.ExptIncludeAllTargets);
        Assert.True(flag.IsArchived);
        Assert.Equal(1_700_000_000_000, flag.UpdatedAt);
    }

    [Theory]
    [InlineData("ix")]
    [InlineData("kez")]
    [InlineData("rulez")]
    [InlineData("isEnabler")]
    [InlineData("updatedAx")]
    [InlineData("variationz")]
    [InlineData("isArchivez")]
    [InlineData("targetUserz")]
    [InlineData("fallthrougx")]
    [InlineData("variationTypx")]
    [InlineData("disabledVariationIx")]
    [InlineData("exptIncludeAllTargetx")]
    [InlineData("name")]
    [InlineData("")]
    public void FlagProperties_UnknownNameOfAKnownLength_IsSkipped(string name)
    {
        var flag = ParseOne($$"""{"key":"k","{{name}}":{"isEnabled":true,"key":"other"},"updatedAt":5}""");

        Assert.Equal("k", flag.Key);
        Assert.False(flag.IsEnabled);
        Assert.Equal(5, flag.UpdatedAt);
    }

    [Fact]
    public void ShortDecimals_SameDoubleAsTheFullParse()
    {
        var random = new Random(19);
        var texts = new List<string> { "0", "1", "-0", "0.5", "0.3", "0.25", "0.1", "0.7", "0.9999", "100", "-1.5", "123456789012345", "0.00000000000001", "99999999999999.9" };
        for (var i = 0; i < 20_000; i++)
        {
            // 1-15 digits, the point after any of them (or none), a leading zero only before the point.
            var total = random.Next(1, 16);
            var point = random.Next(1, total + 1);
            var digits = new char[total];
            for (var d = 0; d < total; d++)
            {
                digits[d] = (char)('0' + (d == 0 && point > 1 ? random.Next(1, 10) : random.Next(10)));
            }

            var text = new string(digits, 0, point) + (point < total ? "." + new string(digits, point, total - point) : "");
            texts.Add(random.Next(2) == 0 ? text : "-" + text);
        }

        foreach (var text in texts)
        {
            Assert.True(WireParser.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out var value), text);
            var expected = double.Parse(text, CultureInfo.InvariantCulture);
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(value), $"{text}: {value:R} != {expected:R}");
        }
    }

    [Theory]
    [InlineData("1e5")]
    [InlineData("1E-2")]
    [InlineData("0.5e1")]
    [InlineData("1234567890123456")]
    [InlineData("0.1234567890123456")]
    [InlineData("")]
    [InlineData("-")]
    public void ShortDecimals_ExponentsAndLongNumbers_LeftToTheReader(string text)
    {
        Assert.False(WireParser.TryParseShortDecimal(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void Rollouts_LongAndExponentNumbers_SameAsTheSerializerPath()
    {
        var json = """{"eventType":"full","featureFlags":[{"key":"k","fallthrough":{"variations":[{"id":"v","rollout":[1e-1,0.12345678901234567],"exptRollout":5E-1},{"id":"w","rollout":[-0,1.0],"exptRollout":0.30000000000000004}]}}]}""";
        var utf8 = Encoding.UTF8.GetBytes(json);

        var slices = WireJson.ReadDataSync(utf8).FeatureFlags!.Items[0].Fallthrough!.Variations!;
        var legacy = LegacyWire.Read(utf8).FeatureFlags!.Items[0].Fallthrough!.Variations!;

        Assert.Equal(legacy.Select(s => (s.Rollout![0], s.Rollout[1], s.ExptRollout)), slices.Select(s => (s.Rollout![0], s.Rollout[1], s.ExptRollout)));
        Assert.True(double.IsNegative(slices[1].Rollout![0]));
    }

    [Fact]
    public void Comments_AtEveryPlace_SameEntitiesAsWithout()
    {
        var plain = """{"messageType":"data-sync","data":{"eventType":"full","featureFlags":[""" + Flag + "," + Flag.Replace("flag-a", "flag-b", StringComparison.Ordinal) + """],"segments":[]}}""";
        var expected = Outcome(Encoding.UTF8.GetBytes(plain));
        Assert.StartsWith("ok", expected, StringComparison.Ordinal);

        // A comment after every comma and colon outside strings: before the flags, inside one, between them, after.
        var places = 0;
        var inString = false;
        for (var i = 0; i < plain.Length; i++)
        {
            var c = plain[i];
            inString = c == '"' && (i == 0 || plain[i - 1] != '\\') ? !inString : inString;
            if (inString || (c != ',' && c != ':' && c != '['))
            {
                continue;
            }

            foreach (var comment in new[] { "/* c */", "// c\n" })
            {
                var commented = plain[..(i + 1)] + comment + plain[(i + 1)..];
                Assert.Equal(expected, Outcome(Encoding.UTF8.GetBytes(commented)));
            }

            places++;
        }

        Assert.True(places > 50, $"only {places} places");
    }

    [Fact]
    public void Comments_InsideAFlag_NeitherSkipTheFlagNorCountAnError()
    {
        var json = """{"eventType":"full","featureFlags":[{"key":"a" /* c */,"isEnabled":true},{"key":"b"}]}""";

        var payload = WireJson.ReadDataSync(Encoding.UTF8.GetBytes(json));

        Assert.Equal(["a", "b"], payload.FeatureFlags!.Items.Select(f => f.Key));
        Assert.Empty(payload.FeatureFlags.Errors);
        Assert.True(payload.FeatureFlags.Items[0].IsEnabled);
    }

    [Fact]
    public void BrokenJson_AfterAComment_SameErrorAsTheSerializerPath()
    {
        var utf8 = Encoding.UTF8.GetBytes("""{"eventType":"full", /* c */ "featureFlags":[{"key":"a"},{"key":}]}""");

        Assert.Equal(Outcome(() => LegacyWire.Read(utf8)), Outcome(utf8));
        Assert.Equal("JsonException", Outcome(utf8));
    }

    [Fact]
    public void StringPool_Hash_EqualTextsEqual_AndEveryByteCounts()
    {
        for (var length = 0; length <= 40; length++)
        {
            var text = Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26))).ToArray();
            Assert.Equal(Utf8StringPool.Hash(text), Utf8StringPool.Hash(text.ToArray()));

            // A change of any one byte, at any position, changes the hash (collisions are allowed, not for these).
            for (var at = 0; at < length; at++)
            {
                var changed = text.ToArray();
                changed[at] = (byte)'#';
                Assert.NotEqual(Utf8StringPool.Hash(text), Utf8StringPool.Hash(changed));
            }
        }
    }

    [Fact]
    public void StringPool_TextsOfEveryLength_PooledApart()
    {
        var pool = new Utf8StringPool();
        var texts = new List<string>();
        for (var length = 1; length <= Utf8StringPool.MaxPooledLength; length++)
        {
            // Texts that differ only by length, or only in their middle byte.
            texts.Add(new string('x', length));
            texts.Add(new string('x', length / 2) + "y" + new string('x', length - (length / 2) - 1));
        }

        var pooled = texts.Select(t => pool.Get(Encoding.UTF8.GetBytes(t))).ToList();

        Assert.Equal(texts, pooled);
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Same(pooled[i], pool.Get(Encoding.UTF8.GetBytes(texts[i])));
        }
    }

    [Fact]
    public void Conditions_EqualOnes_SharedAcrossFlags_OthersApart()
    {
        var longValue = "[" + string.Join(",", Enumerable.Range(0, 30).Select(i => $"\\\"value-{i}\\\"")) + "]";
        var json = """{"eventType":"full","featureFlags":[""" + string.Join(",", Enumerable.Range(0, 3).Select(i => $$"""
            {"key":"f{{i}}","rules":[{"conditions":[
              {"property":"country","op":"IsOneOf","value":"[\"us\"]"},
              {"op":"IsOneOf","value":"[\"us\"]","property":"country"},
              {"property":"country","op":"IsOneOf","value":"[\"gb\"]"},
              {"property":"plan","op":"IsOneOf","value":"[\"us\"]"},
              {"property":"country","op":"NotOneOf","value":"[\"us\"]"},
              {"property":"country","op":"IsOneOf"},
              {"property":"country","op":"IsOneOf","value":"{{longValue}}"}]}]}
            """)) + "]}";
        var utf8 = Encoding.UTF8.GetBytes(json);

        var flags = WireJson.ReadDataSync(utf8).FeatureFlags!.Items;

        var first = flags[0].Rules![0].Conditions!;
        Assert.Same(first[0], first[1]); // the same condition, its properties in another order
        Assert.Equal(5, first.Take(6).Distinct(ReferenceEqualityComparer.Instance).Count());
        foreach (var flag in flags.Skip(1))
        {
            var conditions = flag.Rules![0].Conditions!;
            for (var i = 0; i < 6; i++)
            {
                Assert.Same(first[i], conditions[i]);
            }

            Assert.Equal(first[6].Value, conditions[6].Value); // a long value is not pooled: equal, not shared
        }

        Assert.Null(first[5].Value);
        Assert.Equal(Outcome(() => LegacyWire.Read(utf8)), Outcome(utf8));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(100_000)]
    public void StringPool_AnyStartingSize_GrowsAndShares(int expectedTexts)
    {
        var pool = new Utf8StringPool(expectedTexts);
        var first = Enumerable.Range(0, 3_000).Select(i => pool.Get(Encoding.UTF8.GetBytes($"text-{i}-{new string('z', i % 50)}"))).ToList();

        for (var i = 0; i < first.Count; i++)
        {
            Assert.Same(first[i], pool.Get(Encoding.UTF8.GetBytes($"text-{i}-{new string('z', i % 50)}")));
        }
    }

    private static FlagDto ParseOne(string flagJson)
    {
        var payload = WireJson.ReadDataSync(Encoding.UTF8.GetBytes("""{"eventType":"full","featureFlags":[""" + flagJson + "]}"));
        Assert.Empty(payload.FeatureFlags!.Errors);
        return Assert.Single(payload.FeatureFlags.Items);
    }

    private static string Cased(string name, string casing) => casing switch
    {
        "upper" => name.ToUpperInvariant(),
        "pascal" => char.ToUpperInvariant(name[0]) + name[1..],
        "alternating" => string.Concat(name.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c)),
        _ => name,
    };

    private static string Outcome(byte[] utf8) => Outcome(() => WireJson.ReadDataSync(utf8));

    private static string Outcome(Func<DataSyncPayloadDto> read)
    {
        try
        {
            var payload = read();
            return $"ok {payload.EventType} flags-skipped {payload.FeatureFlags?.Errors.Count} "
                + JsonSerializer.Serialize(payload, WireJsonContext.Default.DataSyncPayloadDto);
        }
        catch (Exception ex)
        {
            return ex.GetType() == typeof(JsonException) ? "JsonException" : ex.GetType().Name + ": " + ex.Message;
        }
    }
}
