using System.Globalization;
using System.Text;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Benchmarks;

/// <summary>Measures the memory a 10,000-flag store retains after a full data-sync (GC heap before/after, forced full GCs).</summary>
internal static class StoreMemory
{
    public static void Report()
    {
        var message = Encoding.UTF8.GetBytes(SyncData.Envelope("full", Enumerable.Range(0, 10_000).Select(i => SyncData.Flag(i, 1_700_000_000_000))));
        var before = Retained();
        var store = Load(message);
        var after = Retained();
        GC.KeepAlive(store);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"10,000 flags ({message.Length / 1024.0 / 1024.0:F1} MiB of JSON): the store retains {(after - before) / 1024.0 / 1024.0:F1} MiB ({(after - before) / 10_000.0:F0} B per flag)"));
    }

    // Not inlined: the parsed payload must be unreachable (not held by a JIT temporary) when memory is measured.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Store.Internal.FlagStore Load(byte[] message)
    {
        var store = SyncApplyBenchmarks.NewStore();
        store.Apply(WireJson.ReadDataSync(message));
        return store;
    }

    private static long Retained()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
