using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Benchmarks.OfficialShaped;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// The cost of applying server data to the store, beside the official SDK's handling of the same message
/// (<see cref="OfficialShapedSync"/>, the peer): a full data-sync of 300, 3,000 and 10,000 flags (parse, compile, swap
/// into a new store), the parse alone, and a one-flag patch into a store holding that many flags. Issue 19's targets:
/// <see cref="FullSync"/> at least 2x faster than <see cref="OfficialShapedDeserialize"/> and allocating less, at every
/// size; the patch under 1 ms at 10,000 flags.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class SyncApplyBenchmarks
{
    private byte[] _fullMessage = null!;
    private byte[] _patchMessage = null!;
    private FlagStore _store = null!;
    private long _version;

    [Params(300, 3_000, 10_000)]
    public int Flags { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fullMessage = SyncData.FullMessage(Flags);
        _patchMessage = Encoding.UTF8.GetBytes(SyncData.Envelope("patch", [SyncData.Flag(42, 1_700_000_000_001)]));
        _store = NewStore();
        _store.Apply(WireJson.ReadDataSync(_fullMessage));
        _version = 1_700_000_000_001;
    }

    /// <summary>Ours: parse, compile every flag, swap the snapshot into a new store.</summary>
    [Benchmark]
    public int FullSync()
    {
        var store = NewStore();
        return store.Apply(WireJson.ReadDataSync(_fullMessage)).Applied;
    }

    /// <summary>The official SDK's shape: JsonDocument, reflection deserialisation of <c>data</c>, a dictionary by store key.</summary>
    [Benchmark(Baseline = true)]
    public int OfficialShapedDeserialize() => OfficialShapedSync.Apply(_fullMessage).Count;

    /// <summary>The parse alone (the wire entities), to split <see cref="FullSync"/> into parse and compile-and-swap.</summary>
    [Benchmark]
    public int ParseOnly() => WireJson.ReadDataSync(_fullMessage).FeatureFlags!.Items.Count;

    [Benchmark]
    public int PatchOneFlag()
    {
        var payload = WireJson.ReadDataSync(_patchMessage);
        payload.FeatureFlags!.Items[0].UpdatedAt = ++_version; // newer every call, so it is applied, not ignored
        return _store.Apply(payload).Applied;
    }

    internal static FlagStore NewStore() => new(Options.Create(new FeatureFlagsOptions()), NullLogger<FlagStore>.Instance);
}

/// <summary>Realistic FeatBit flags as the server sends them: targets, two rules, a 50/50 fallthrough.</summary>
internal static class SyncData
{
    /// <summary>A full data-sync message of <paramref name="count"/> flags, UTF-8.</summary>
    public static byte[] FullMessage(int count)
        => Encoding.UTF8.GetBytes(Envelope("full", Enumerable.Range(0, count).Select(i => Flag(i, 1_700_000_000_000))));

    public static string Envelope(string eventType, IEnumerable<string> flags)
        => $$"""{"messageType":"data-sync","data":{"eventType":"{{eventType}}","featureFlags":[{{string.Join(",", flags)}}],"segments":[]""" + "}}";

    public static string Flag(int i, long updatedAtMs)
    {
        var updatedAt = DateTimeOffset.FromUnixTimeMilliseconds(updatedAtMs).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return $$"""
            {"id":"{{Guid.NewGuid()}}","envId":"226b9bf8-4af3-4ffa-9b01-162270e4cd40","name":"Flag {{i}}","key":"flag-{{i}}",
             "description":"generated","variationType":"boolean",
             "variations":[{"id":"v-true-{{i}}","name":"True","value":"true"},{"id":"v-false-{{i}}","name":"False","value":"false"}],
             "targetUsers":[{"keyIds":["user-1","user-2","user-3"],"variationId":"v-true-{{i}}"}],
             "rules":[
               {"id":"r1-{{i}}","name":"Countries","dispatchKey":null,"includedInExpt":false,
                "conditions":[{"property":"country","op":"IsOneOf","value":"[\"us\",\"gb\",\"fr\",\"de\"]"}],
                "variations":[{"id":"v-true-{{i}}","rollout":[0,1],"exptRollout":1}]},
               {"id":"r2-{{i}}","name":"Emails","dispatchKey":"keyId","includedInExpt":true,
                "conditions":[{"property":"email","op":"EndsWith","value":"@example.com"},{"property":"age","op":"BiggerThan","value":"18"}],
                "variations":[{"id":"v-true-{{i}}","rollout":[0,0.3],"exptRollout":1},{"id":"v-false-{{i}}","rollout":[0.3,1],"exptRollout":1}]}],
             "isEnabled":true,"disabledVariationId":"v-false-{{i}}",
             "fallthrough":{"dispatchKey":null,"includedInExpt":true,"variations":[{"id":"v-true-{{i}}","rollout":[0,0.5],"exptRollout":1},{"id":"v-false-{{i}}","rollout":[0.5,1],"exptRollout":1}]},
             "exptIncludeAllTargets":true,"tags":[],"isArchived":false,
             "createdAt":"2023-01-16T02:56:19.531Z","updatedAt":"{{updatedAt}}","creatorId":"197dea2a-1044-497d-8f1e-f01d2e15a756"}
            """;
    }
}
