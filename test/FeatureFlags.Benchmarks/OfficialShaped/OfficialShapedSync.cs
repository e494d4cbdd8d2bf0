using System.Text.Json;

namespace FeatureFlags.Benchmarks.OfficialShaped;

/// <summary>
/// The official SDK's handling of a data-sync message, rewritten as a peer: the message is parsed as a
/// <see cref="JsonDocument"/>, <c>messageType</c> is read, <c>data</c> is deserialised (reflection, web defaults) into its
/// data set, and each flag and segment is stored into a dictionary under its store key.
/// </summary>
public static class OfficialShapedSync
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static Dictionary<string, object> Apply(byte[] message)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        if (root.GetProperty("messageType").GetString() != "data-sync")
        {
            throw new InvalidOperationException("not a data-sync message");
        }

        var dataSet = root.GetProperty("data").Deserialize<OfficialDataSet>(Options)!;
        var store = new Dictionary<string, object>();
        foreach (var flag in dataSet.FeatureFlags)
        {
            store[flag.StoreKey] = flag;
        }

        foreach (var segment in dataSet.Segments)
        {
            store[segment.StoreKey] = segment;
        }

        return store;
    }
}
