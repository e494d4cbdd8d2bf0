using System.Text;

namespace FeatureFlags.Tests.Support;

/// <summary>Benchmarks only: the size of the server's data-sync reply for a cursor (what a client downloads).</summary>
internal sealed partial class FakeFeatBitServer
{
    public int ReplyBytes(long cursor) => Encoding.UTF8.GetByteCount(DataSyncReply(cursor));
}
