using FeatureFlags.Tests.Events;
using FeatureFlags.Tests.Support;
using Xunit;

namespace FeatureFlags.Tests.Reliability;

/// <summary>
/// Issue 14, item 2: a hung event endpoint and many requests with distinct, long user data (30 KB anonymous keys grew
/// the heap by 600 MB when the buffer counted events only). The user boundary refuses over-long data, and the buffer is
/// bounded in estimated bytes as well as events. Measured with the process-wide heap, so the class runs alone.
/// </summary>
[Collection(StressTests.Name)]
public sealed class EventBufferMemoryTests
{
    private const int Requests = 12_000;
    private const long MaxBufferBytes = 16 * 1024 * 1024; // the default

    [Fact]
    [Trait("Conformance", "API-06")]
    public void Builder_TheAttacksThirtyKilobyteKey_IsRefusedWithoutEchoingIt()
    {
        var key = new string('a', 30 * 1024);

        var ex = Assert.Throws<ArgumentException>(() => FlagUser.Builder(key));

        Assert.Equal("key", ex.ParamName);
        Assert.DoesNotContain(new string('a', 100), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Conformance", "DLV-01")]
    public async Task HungEndpoint_DistinctUsersAtTheLengthLimits_RetainAtMostTheByteBoundAndDropsAreCounted()
    {
        await using var h = await EventHarness.CreateAsync(flags: [TestFlags.Flag("f").HitMiss().Fallthrough(TestFlags.HitId).Build()]);
        Assert.Equal(MaxBufferBytes, h.Options.Events.MaxBufferBytes);
        var batch = h.Options.Events.MaxEventsPerRequest;
        h.Server.Script(FakeEventServer.HangStatus);
        await h.Processor.StartAsync(CancellationToken.None);

        // Fill one batch so the loop sends it and hangs on it: from then on every event waits in the buffer.
        for (var i = 0; i < batch; i++)
        {
            Assert.Equal(TestFlags.Hit, h.Client.StringVariation("f", NewUser(i), "default"));
        }

        await h.Server.WaitForRequestsAsync(1);
        var before = GC.GetTotalMemory(forceFullCollection: true);

        for (var i = batch; i < Requests; i++)
        {
            Assert.Equal(TestFlags.Hit, h.Client.StringVariation("f", NewUser(i), "default"));
        }

        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"retained {retained:N0} B, estimate {h.Processor.PendingBytes:N0} B, pending {h.Processor.Pending:N0}, dropped {h.Processor.Dropped:N0}");

        // Each user holds about 6.7 KB of distinct strings: bounded in events only, the buffer kept 10,000 of them
        // (an estimate of 69 MB). Now the heap keeps at most the byte bound and some slack.
        // At most: the heap may also shrink meanwhile (garbage of earlier work collected), so there is no lower bound.
        Assert.True(retained <= MaxBufferBytes + (4 * 1024 * 1024), $"retained {retained:N0} B");
        Assert.InRange(h.Processor.PendingBytes, MaxBufferBytes - NewUser(0).EstimatedBytes - 200, MaxBufferBytes);
        Assert.InRange(h.Processor.Pending, 1, h.Options.Events.BufferCapacity / 2);
        Assert.Equal(Requests - batch, h.Processor.Pending + h.Processor.Dropped);
    }

    /// <summary>A user at the key limit with name, email and country at the value limit, every string distinct.</summary>
    private static FlagUser NewUser(int i)
    {
        var id = i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);
        return FlagUser.Builder(id.PadRight(FlagUser.MaxKeyLength, 'k'))
            .Name(id.PadRight(FlagUser.MaxValueLength, 'n'))
            .Email(id.PadRight(FlagUser.MaxValueLength, 'e'))
            .Country(id.PadRight(FlagUser.MaxValueLength, 'c'))
            .Build();
    }
}
