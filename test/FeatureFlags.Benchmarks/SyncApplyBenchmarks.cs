using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Benchmarks;

/// <summary>
/// The cost of applying server data to the store: a full data-sync of 10,000 flags (parse, compile, swap) and a
/// one-flag patch into a 10,000-flag store (parse, compile, copy-on-write swap). Targets: &lt;= 300 ms and &lt;= 5 ms.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchmarkConfig))]
public class SyncApplyBenchmarks
{
    private const int FlagCount = 10_000;
    private byte[] _fullMessage = null!;
    private byte[] _patchMessage = null!;
    private FlagStore _store = null!;
    private long _version;

    [GlobalSetup]
    public void Setup()
    {
        _fullMessage = Encoding.UTF8.GetBytes(SyncData.Envelope("full", Enumerable.Range(0, FlagCount).Select(i => SyncData.Flag(i, 1_700_000_000_000))));
        _patchMessage = Encoding.UTF8.GetBytes(SyncData.Envelope("patch", [SyncData.Flag(42, 1_700_000_000_001)]));
        _store = NewStore();
        _store.Apply(WireJson.ReadDataSync(_fullMessage));
        _version = 1_700_000_000_001;
    }

    [Benchmark]
    public int FullSync10k()
    {
        var store = NewStore();
        return store.Apply(WireJson.ReadDataSync(_fullMessage)).Applied;
    }

    /// <summary>The parse alone (the wire DTOs), to split <see cref="FullSync10k"/> into parse and compile-and-swap.</summary>
    [Benchmark]
    public int ParseOnly10k() => WireJson.ReadDataSync(_fullMessage).FeatureFlags!.Items.Count;

    [Benchmark]
    public int PatchOneFlagInto10k()
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
