using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FeatureFlags.Tests.Sync;

/// <summary>The token vectors of protocol §1.2 (the FeatBit evaluation server's own test data).</summary>
public sealed class ConnectionTokenTests
{
    private const string ServerSecret = "v3faJy3RCUO8d-EJiVdN6waRfGjfNan02Ms9c0LiTD6w";

    [Fact]
    public void Build_WorkedExample_MatchesSpec()
        => Assert.Equal(
            "QBPBSv3faJy3RCUO8d-BDDDQBZZQQXHPEJiVdN6waRfGjfNan02Ms9c0LiTD6w",
            ConnectionTokenProvider.Build(ServerSecret, "1666018800754", 14));

    [Fact]
    public void Create_InjectedClockAndRandom_ProducesTheExpectedToken()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1666018800754));
        var provider = new ConnectionTokenProvider(clock, () => 14.5 / ServerSecret.Length);

        Assert.Equal("QBPBSv3faJy3RCUO8d-BDDDQBZZQQXHPEJiVdN6waRfGjfNan02Ms9c0LiTD6w", provider.Create(ServerSecret));
    }

    [Theory]
    [InlineData("QBPBHv3faJy3RCUO8d-QQBDDDQBZZQQXHPEJiVdN6waRfGjfNan02Ms9c0LiTD6w", 14, 1666018800754, ServerSecret)]
    [InlineData("QWSBHgpnOV3wI3kKAO9q9viC0wQWQQBDDDQBZWPXDQSdKZrVAf2U6gAnxl4lSH3w", 23, 1666018247603, "gpnOV3wI3kKAO9q9viC0wQWdKZrVAf2U6gAnxl4lSH3w")]
    public void TryParse_ServerVectors_DecodeAsTheServerDoes(string token, int position, long timestamp, string secret)
    {
        Assert.True(ConnectionTokenProvider.TryParse(token, out var p, out var t, out var s));
        Assert.Equal((position, timestamp, secret), (p, t, s));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("4chs")]
    [InlineData("5chars")]
    [InlineData("QDUBHYWVkLWNiZT")]
    [InlineData("QQQQS123")]
    public void TryParse_ServerInvalidVectors_AreRejected(string token)
        => Assert.False(ConnectionTokenProvider.TryParse(token, out _, out _, out _));

    [Theory]
    [InlineData("QQQ", 0)]
    [InlineData("QWS", 23)]
    [InlineData("BWZ", 128)]
    [InlineData("WHH", 255)]
    [InlineData("BDDBXZPZPXSDQ", 1661784847360)]
    [InlineData("BWSPHDXZUQ", 1234567890)]
    public void Codec_DigitVectors_RoundTrip(string encoded, long number)
    {
        Assert.Equal(number, ConnectionTokenProvider.Decode(encoded));
        Assert.Equal(encoded, ConnectionTokenProvider.Encode(number, encoded.Length));
    }

    [Fact]
    public void Create_EveryCall_UsesTheCurrentTimeAndAPositionOfAtLeastTwo()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        var provider = new ConnectionTokenProvider(clock, () => 0);

        var first = provider.Create(ServerSecret + "==");
        clock.Advance(TimeSpan.FromSeconds(5));
        var second = provider.Create(ServerSecret);

        Assert.True(ConnectionTokenProvider.TryParse(first, out var p1, out var t1, out var s1));
        Assert.True(ConnectionTokenProvider.TryParse(second, out _, out var t2, out _));
        Assert.Equal((2, 1_700_000_000_000L, ServerSecret), (p1, t1, s1));
        Assert.Equal(1_700_000_005_000L, t2);
    }
}
