using System.Buffers;
using System.Text;
using System.Text.Json;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Model;

/// <summary>
/// The hand-written wire parser (<see cref="WireParser"/>) against the source-generated serializer path it replaced
/// (<see cref="LegacyWire"/>, kept here only): every shape, every fixture and randomly damaged messages give the same
/// entities, the same number of skipped entities, or a <see cref="JsonException"/> on both sides.
/// </summary>
public sealed class WireParserTests
{
    private const string Flag = """
        {"id":"0f0c0e2a-5f0e-4e58-9d1e-4d8e5f0b8a11","key":"flag-a","variationType":"boolean","name":"ignored",
         "variations":[{"id":"t","value":"true"},{"id":"f","value":"false"}],
         "targetUsers":[{"keyIds":["u1","u2",null],"variationId":"t"}],
         "rules":[{"id":"r1","name":"Countries","dispatchKey":null,"includedInExpt":true,
                   "conditions":[{"property":"country","op":"IsOneOf","value":"[\"us\",\"gb\"]"}],
                   "variations":[{"id":"t","rollout":[0,0.5],"exptRollout":1},{"id":"f","rollout":[0.5,1],"exptRollout":0.5}]}],
         "isEnabled":true,"disabledVariationId":"f",
         "fallthrough":{"dispatchKey":"keyId","includedInExpt":false,"variations":[{"id":"t","rollout":[0,1],"exptRollout":1}]},
         "exptIncludeAllTargets":false,"isArchived":false,"updatedAt":"2023-01-28T02:04:55.616Z"}
        """;

    private const string Segment = """
        {"id":"2f7ee3b8-0d43-4c0e-9b7a-4f1d1b0d6c2e","included":["a","b"],"excluded":["c"],
         "rules":[{"name":"r","conditions":[{"property":"plan","op":"Equal","value":"gold"}]}],"isArchived":false,"updatedAt":1700000000000}
        """;

    public static TheoryData<string> Shapes() =>
    [
        Envelope("full", Flag, Segment),
        Envelope("patch", Flag, ""),
        $$"""{"eventType":"full","featureFlags":[{{Flag}}],"segments":[{{Segment}}]}""",
        $$"""{"featureFlags":[{{Flag}}]}""",
        $$"""{"segments":[{{Segment}}]}""",
        // Comments and trailing commas.
        "/* c */ {\"messageType\":\"data-sync\", // c\n \"data\":{\"eventType\":\"full\",\"featureFlags\":[" + Flag + ",],\"segments\":[" + Segment + ",],},}",
        // Case-insensitive names.
        """{"MESSAGETYPE":"data-sync","Data":{"EventType":"full","FeatureFlags":[{"KEY":"k","IsEnabled":true,"UPDATEDAT":5,"Variations":[{"ID":"v","VALUE":"x"}]}],"SEGMENTS":[]}}""",
        // Numbers as strings; numbers as numbers where strings are usual.
        """{"eventType":"full","featureFlags":[{"key":"k","fallthrough":{"variations":[{"id":"v","rollout":["0","1"],"exptRollout":"0.5"}]},"updatedAt":"1700000000000"}]}""",
        """{"eventType":"full","featureFlags":[{"key":"k","fallthrough":{"variations":[{"id":"v","rollout":["0x1","1"],"exptRollout":1}]}}]}""",
        // Null lists, null entities, null elements.
        """{"messageType":"data-sync","data":{"eventType":"full","featureFlags":null,"segments":null}}""",
        """{"eventType":"full","featureFlags":[null,{"key":"k","variations":null,"targetUsers":null,"rules":null,"fallthrough":null}],"segments":[null]}""",
        """{"eventType":"full","featureFlags":[{"key":"k","variations":[null,{"id":"v"}],"rules":[null,{"conditions":[null],"variations":[null]}]}]}""",
        // Malformed entities are skipped, the others kept.
        """{"eventType":"full","featureFlags":[{"key":"bad","isEnabled":"yes"},""" + Flag + """,{"key":"bad-date","updatedAt":"not a date"},5,[1],{"key":"bad-list","variations":{}}],"segments":[{"id":"x","included":[1]},""" + Segment + "]}",
        """{"eventType":"full","featureFlags":[{"key":"k","updatedAt":1.5},{"key":"k2","updatedAt":"2023-01-28T02:04:55.6161234567+00:00"},{"key":"k3","updatedAt":"2023-01-28T02:04:55.616161Z"},{"key":"k4","updatedAt":null}]}""",
        """{"eventType":"full","featureFlags":[{"key":"k","updatedAt":"2023-01-28T02:04:55.616Z and then a long tail of text that is not a date at all"}]}""",
        // Escaped names and values.
        """{"eventType":"full","featureFlags":[{"k\u0065y":"fl\u0061g","variations":[{"id":"v","value":"\u0074rue"}]}]}""",
        // Unknown properties of every kind are skipped.
        """{"messageType":"data-sync","extra":{"a":[1,2,{"b":null}]},"data":{"eventType":"full","more":[{}],"featureFlags":[{"key":"k","unknown":{"deep":[[[]]]}}]}}""",
        // Envelope with bare properties beside it: 'data' wins, the bare ones are not read (even when malformed).
        """{"messageType":"data-sync","eventType":5,"featureFlags":7,"data":{"eventType":"patch","featureFlags":[]}}""",
        """{"eventType":5,"data":{"eventType":"patch","featureFlags":[]}}""",
        """{"data":null,"eventType":"full","featureFlags":[]}""",
        // Failures: wrong messageType, not an object, null, empty, trailing content, no payload, wrong types.
        """{"messageType":"ping","data":{"eventType":"full","featureFlags":[]}}""",
        """{"messageType":"ping","data":{}}""",
        """{"messageType":"ping"}""",
        """[]""",
        """null""",
        " ",
        """{"featureFlags":[]} {}""",
        """{"featureFlags":[]} x""",
        """{}""",
        """{"messageType":5,"data":{}}""",
        """{"data":5}""",
        """{"eventType":5,"featureFlags":[]}""",
        """{"featureFlags":{}}""",
        """{"featureFlags":[{"key":"k"}""",
        """{"featureFlags":[{"key":"k",}]}""",
        """{"featureFlags":[{"key":"k"]}""",
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Parse_EveryShape_SameAsTheSerializerPath(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);

        Assert.Equal(Outcome(() => LegacyWire.Read(utf8)), Outcome(() => WireJson.ReadDataSync(utf8)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Parse_SplitIntoManySegments_SameAsOneSpan(string json)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);

        foreach (var size in new[] { 1, 2, 3, 7, 64 })
        {
            Assert.Equal(Outcome(() => WireJson.ReadValidatedDataSync(utf8)), Outcome(() => WireJson.ReadValidatedDataSync(Split(utf8, size))));
        }
    }

    [Fact]
    public void Parse_EveryFixture_SameAsTheSerializerPath()
    {
        var root = Path.GetDirectoryName(Fixtures.PathOf("README.md"))!;
        var files = Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);
        var compared = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var utf8 = Encoding.UTF8.GetBytes(file.EndsWith(".txt", StringComparison.Ordinal) ? VerifySnapshot.ToJson(text) : text);
            var legacy = Outcome(() => LegacyWire.Read(utf8));
            Assert.Equal(legacy, Outcome(() => WireJson.ReadDataSync(utf8)));
            Assert.Equal(legacy, Outcome(() => WireJson.ReadValidatedDataSync(Split(utf8, 100))));
            compared += legacy.StartsWith("ok", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.True(compared >= 6, $"only {compared} fixtures parsed");
    }

    [Fact]
    public void Parse_RandomlyDamagedMessages_SameAsTheSerializerPath()
    {
        var random = new Random(19);
        var original = Encoding.UTF8.GetBytes(Envelope("full", Flag + "," + Flag.Replace("flag-a", "flag-b", StringComparison.Ordinal), Segment));
        const string Replacements = "{}[],:\"0123456789.-eE ntfx\\/";
        for (var i = 0; i < 2_000; i++)
        {
            var damaged = original.ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(damaged.Count);
                switch (random.Next(3))
                {
                    case 0:
                        damaged.RemoveAt(at);
                        break;
                    case 1:
                        damaged[at] = (byte)Replacements[random.Next(Replacements.Length)];
                        break;
                    default:
                        damaged.Insert(at, (byte)Replacements[random.Next(Replacements.Length)]);
                        break;
                }
            }

            var utf8 = damaged.ToArray();
            Assert.Equal(Outcome(() => LegacyWire.Read(utf8)), Outcome(() => WireJson.ReadDataSync(utf8)));
        }
    }

    [Fact]
    public void Parse_InvalidUtf8_IsAJsonException()
    {
        byte[] utf8 = [.. "{\"featureFlags\":[{\"key\":\""u8, 0xC3, 0x28, .. "\"}]}"u8];

        Assert.Equal("JsonException", Outcome(() => LegacyWire.Read(utf8)));
        Assert.Throws<JsonException>(() => WireJson.ReadDataSync(utf8));
    }

    [Fact]
    public void Parse_DeepInput_IsAJsonException()
    {
        var deep = "{\"featureFlags\":[{\"key\":\"k\",\"extra\":" + new string('[', 200) + new string(']', 200) + "}]}";
        var utf8 = Encoding.UTF8.GetBytes(deep);

        Assert.Equal(Outcome(() => LegacyWire.Read(utf8)), Outcome(() => WireJson.ReadDataSync(utf8)));
        Assert.Equal("JsonException", Outcome(() => WireJson.ReadDataSync(utf8)));
    }

    [Fact]
    public void Parse_HugeMessage_SameAsTheSerializerPath()
    {
        var flags = Enumerable.Range(0, 3_000).Select(i => Flag.Replace("flag-a", $"flag-{i}", StringComparison.Ordinal));
        var utf8 = Encoding.UTF8.GetBytes(Envelope("full", string.Join(",", flags), Segment));

        var parsed = WireJson.ReadDataSync(utf8);

        Assert.Equal(3_000, parsed.FeatureFlags!.Items.Count);
        Assert.Equal(Outcome(() => LegacyWire.Read(utf8)), Outcome(() => parsed));
        Assert.Equal(Outcome(() => parsed), Outcome(() => WireJson.ReadValidatedDataSync(Split(utf8, 16 * 1024))));
    }

    [Fact]
    public void Parse_RepeatedStrings_AreShared()
    {
        var utf8 = Encoding.UTF8.GetBytes(Envelope("full", Flag + "," + Flag.Replace("flag-a", "flag-b", StringComparison.Ordinal), ""));

        var flags = WireJson.ReadDataSync(utf8).FeatureFlags!.Items;

        Assert.Same(flags[0].Variations![0].Value, flags[1].Variations![0].Value);
        Assert.Same(flags[0].Rules![0].Conditions![0].Property, flags[1].Rules![0].Conditions![0].Property);
        Assert.Same(flags[0].Rules![0].Name, flags[1].Rules![0].Name);
        Assert.Same(flags[0].TargetUsers![0].KeyIds![0], flags[1].TargetUsers![0].KeyIds![0]);
    }

    [Fact]
    public void StringPool_SharesEqualTexts_AndSurvivesGrowth()
    {
        var pool = new Utf8StringPool();
        var first = new List<string>();
        for (var i = 0; i < 5_000; i++)
        {
            first.Add(pool.Get(Encoding.UTF8.GetBytes($"value-{i}")));
        }

        for (var i = 0; i < 5_000; i++)
        {
            Assert.Same(first[i], pool.Get(Encoding.UTF8.GetBytes($"value-{i}")));
        }

        Assert.Same(string.Empty, pool.Get([]));
        Assert.Equal(new string('x', 100), pool.Get(Encoding.UTF8.GetBytes(new string('x', 100))));
    }

    private static string Envelope(string eventType, string flags, string segments)
        => """{"messageType":"data-sync","data":{"eventType":""" + "\"" + eventType + "\",\"featureFlags\":[" + flags + "],\"segments\":[" + segments + "]}}";

    /// <summary>The entities as the serializer writes them, and how many of each were skipped; or the exception's type.</summary>
    private static string Outcome(Func<DataSyncPayloadDto> read)
    {
        try
        {
            var payload = read();
            return $"ok {payload.EventType} flags-skipped {payload.FeatureFlags?.Errors.Count} segments-skipped {payload.Segments?.Errors.Count} "
                + JsonSerializer.Serialize(payload, WireJsonContext.Default.DataSyncPayloadDto);
        }
        catch (Exception ex)
        {
            return ex.GetType() == typeof(JsonException) ? "JsonException" : ex.GetType().Name + ": " + ex.Message;
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] utf8, int size)
    {
        if (utf8.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Chunk? first = null, last = null;
        for (var offset = 0; offset < utf8.Length; offset += size)
        {
            var memory = utf8.AsMemory(offset, Math.Min(size, utf8.Length - offset));
            last = last is null ? first = new Chunk(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>The serializer path the wire parser replaced (source-generated <see cref="WireJsonContext"/>), for differential tests.</summary>
internal static class LegacyWire
{
    public static DataSyncPayloadDto Read(byte[] utf8Json)
    {
        WireJson.EnsureValidUtf8(utf8Json);
        var message = JsonSerializer.Deserialize(utf8Json, WireJsonContext.Default.DataSyncMessageDto)
            ?? throw new JsonException("The JSON is null.");
        if (message.Data is not null)
        {
            if (message.MessageType is not null && !string.Equals(message.MessageType, "data-sync", StringComparison.OrdinalIgnoreCase))
            {
                throw new JsonException($"Expected a data-sync message but found '{message.MessageType}'.");
            }

            return message.Data;
        }

        var payload = JsonSerializer.Deserialize(utf8Json, WireJsonContext.Default.DataSyncPayloadDto)
            ?? throw new JsonException("The JSON is null.");
        if (payload.FeatureFlags is null && payload.Segments is null)
        {
            throw new JsonException("The JSON has neither 'data' nor 'featureFlags'/'segments'.");
        }

        return payload;
    }
}
