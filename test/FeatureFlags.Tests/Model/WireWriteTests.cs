using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FeatureFlags.DataSystem;
using FeatureFlags.Model.Internal;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Model;

/// <summary>
/// Writing a whole data set (the cache file, the Redis state): FeatBit's JSON, through the source generator's fast
/// path, so that a 4 MB environment is written without allocating per flag.
/// </summary>
public sealed class WireWriteTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(1_700_000_000_007L)]
    [InlineData(1_704_067_199_999L)] // the last millisecond of 2023
    [InlineData(253_402_300_799_999L)] // the last millisecond of year 9999
    public void UpdatedAt_IsWrittenAsFeatBitWritesIt(long unixMilliseconds)
    {
        var flag = FakeFeatBitServer.BoolFlag("f", true, unixMilliseconds).ToJsonString();
        var data = FlagDataSet.Parse("{\"eventType\":\"full\",\"featureFlags\":[" + flag + "],\"segments\":[]}");
        var output = new ArrayBufferWriter<byte>();

        data.WriteUtf8Json(output);

        var expected = DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        using var document = JsonDocument.Parse(output.WrittenMemory);
        Assert.Equal(expected, document.RootElement.GetProperty("data").GetProperty("featureFlags")[0].GetProperty("updatedAt").GetString());
        Assert.Equal(unixMilliseconds, FlagDataSet.Parse(output.WrittenSpan).Payload.FeatureFlags!.Items[0].UpdatedAt);
    }

    [Fact]
    public void WholeDataSet_RoundTripsAndAllocatesNothingPerFlag()
    {
        var flags = Enumerable.Range(0, 500).Select(i => FakeFeatBitServer.BoolFlag(string.Create(CultureInfo.InvariantCulture, $"flag-{i:D3}"), i % 2 == 0, 1_700_000_000_000 + i).ToJsonString());
        var data = FlagDataSet.Parse("{\"eventType\":\"full\",\"featureFlags\":[" + string.Join(",", flags) + "],\"segments\":[]}");
        var output = new ArrayBufferWriter<byte>(1 << 20);
        data.WriteUtf8Json(output); // warm

        output.ResetWrittenCount();
        var before = GC.GetAllocatedBytesForCurrentThread();
        data.WriteUtf8Json(output);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Through the slow, metadata path this was about 300 bytes per flag (150 KB here).
        Assert.InRange(allocated, 0, 16 * 1024);
        var again = new ArrayBufferWriter<byte>();
        FlagDataSet.Parse(output.WrittenSpan).WriteUtf8Json(again);
        Assert.Equal(Encoding.UTF8.GetString(output.WrittenSpan), Encoding.UTF8.GetString(again.WrittenSpan));
    }

    [Fact]
    public void FlagsAndSegments_TakeTheFastPath()
    {
        // A converter attribute on a property would take its type off the fast path (see WireJsonContext).
        Assert.NotNull(WireJsonContext.Default.FlagDto.SerializeHandler);
        Assert.NotNull(WireJsonContext.Default.SegmentDto.SerializeHandler);
    }
}
