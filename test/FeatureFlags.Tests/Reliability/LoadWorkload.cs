using System.Globalization;
using System.Text;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// The data of the load test and the <c>load</c> benchmark command: five string flags that each target two users,
/// serve a segment rule and split everyone else by percentage, and patches that change them at a high rate. Every
/// variation of a flag at version <c>v</c> serves <c>kind:v</c>, so one evaluation tells which version it came from.
/// </summary>
/// <remarks>
/// Each patch sets <see cref="PairA"/> and <see cref="PairB"/> to the same new version in one message: a reader that
/// ever sees them at different versions in one snapshot saw a torn state.
/// </remarks>
internal static class LoadWorkload
{
    public const string PairA = "pair-a";
    public const string PairB = "pair-b";
    public const string Targeted = "targeted";
    public const string Rollout = "rollout";
    public const string SegmentRule = "segment-rule";
    public const long V0 = 1_700_000_000_000;
    public const string SegmentId = "6e1a7c1d-0000-4000-8000-00000000000a";

    public static readonly string[] FlagKeys = [PairA, PairB, Targeted, Rollout, SegmentRule];

    /// <summary>Users that take each path: individual targets, segment members, and the percentage rollout.</summary>
    public static readonly FlagUser[] Users =
    [
        FlagUser.Create("vip-1"), FlagUser.Create("vip-2"), FlagUser.Create("member-1"), FlagUser.Create("member-2"),
        .. Enumerable.Range(0, 12).Select(i => FlagUser.Create("user-" + i.ToString(CultureInfo.InvariantCulture))),
    ];

    private static readonly string[] Rotating = [Targeted, Rollout, SegmentRule];

    /// <summary>Every flag and the segment at version <see cref="V0"/>, as a full data-sync.</summary>
    public static DataSyncPayloadDto Initial()
        => WireJson.ReadDataSync(Encoding.UTF8.GetBytes(Message("full", [.. FlagKeys.Select(k => Flag(k, V0))], [Segment(V0, 0)])));

    /// <summary>
    /// Patch number <paramref name="n"/> (1, 2, ...) as the server pushes it: both pair flags at version V0 + n, one of
    /// the other flags in turn, and every fourth patch the segment too.
    /// </summary>
    public static byte[] Patch(long n)
    {
        var version = V0 + n;
        var flags = new List<string> { Flag(PairA, version), Flag(PairB, version), Flag(Rotating[n % Rotating.Length], version) };
        string[] segments = n % 4 == 0 ? [Segment(version, n)] : [];
        return Encoding.UTF8.GetBytes(Message("patch", flags, segments));
    }

    /// <summary>The version a served value belongs to (the number after the last colon), or -1.</summary>
    public static long VersionOf(string value)
    {
        var colon = value.LastIndexOf(':');
        return colon >= 0 && long.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : -1;
    }

    private static string Message(string eventType, IEnumerable<string> flags, IEnumerable<string> segments)
        => """{"messageType":"data-sync","data":{"eventType":""" + "\"" + eventType + "\",\"featureFlags\":[" + string.Join(",", flags)
           + "],\"segments\":[" + string.Join(",", segments) + "]}}";

    private static string Flag(string key, long version)
    {
        var v = version.ToString(CultureInfo.InvariantCulture);
        var split = (0.2 + (version % 7 / 10.0)).ToString("0.0", CultureInfo.InvariantCulture);
        return $$"""
            {"id":"id-{{key}}","key":"{{key}}","variationType":"string",
             "variations":[{"id":"a","value":"a:{{v}}"},{"id":"b","value":"b:{{v}}"},{"id":"t","value":"t:{{v}}"},{"id":"s","value":"s:{{v}}"}],
             "targetUsers":[{"variationId":"t","keyIds":["vip-1","vip-2"]}],
             "rules":[{"id":"r1","name":"members","dispatchKey":null,"includedInExpt":false,
                       "conditions":[{"property":"User is in segment","op":null,"value":"[\"{{SegmentId}}\"]"}],
                       "variations":[{"id":"s","rollout":[0,1],"exptRollout":1}]}],
             "isEnabled":true,"disabledVariationId":"b",
             "fallthrough":{"dispatchKey":null,"includedInExpt":false,
                            "variations":[{"id":"a","rollout":[0,{{split}}],"exptRollout":1},{"id":"b","rollout":[{{split}},1],"exptRollout":1}]},
             "exptIncludeAllTargets":true,"isArchived":false,"updatedAt":{{v}}}
            """;
    }

    /// <summary>The segment: member-1 always, member-2 every other version.</summary>
    private static string Segment(long version, long n)
        => $$"""{"id":"{{SegmentId}}","name":"members","included":["member-1"{{(n % 8 == 0 ? ",\"member-2\"" : "")}}],"excluded":[],"rules":[],"isArchived":false,"updatedAt":{{version.ToString(CultureInfo.InvariantCulture)}}}""";
}
