using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using FeatureFlags.Model.Internal;
using Xunit;

namespace FeatureFlags.Tests.Model;

/// <summary>
/// <see cref="WireJson.EnsureValidUtf8(in ReadOnlySequence{byte})"/>, the check of a body received into several buffers,
/// against <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> over the same bytes in one piece: every way of cutting the
/// text, valid and damaged, gives the same answer and the same error position.
/// </summary>
public sealed class Utf8SequenceCheckTests
{
    // Chars of one to four bytes, so a cut falls inside every length of char.
    private const string Sample = "a\u00e9\u20ac\U0001F600b\u00df\u4e2d\U00010348\n";

    public static TheoryData<string, byte[]> Damaged => new()
    {
        { "a lead byte without its continuation", [.. "ab"u8, 0xC3, .. "cd"u8] },
        { "a stray continuation byte", [.. "ab"u8, 0xA9, .. "cd"u8] },
        { "a three-byte char cut short", [.. "ab"u8, 0xE2, 0x82, .. "cd"u8] },
        { "a four-byte char cut short", [.. "ab"u8, 0xF0, 0x9F, 0x98, .. "cd"u8] },
        { "an overlong encoding", [.. "ab"u8, 0xC0, 0xAF, .. "cd"u8] },
        { "a surrogate code point", [.. "ab"u8, 0xED, 0xA0, 0x80, .. "cd"u8] },
        { "beyond U+10FFFF", [.. "ab"u8, 0xF4, 0x90, 0x80, 0x80, .. "cd"u8] },
        { "a byte that never starts a char", [.. "ab"u8, 0xFF, .. "cd"u8] },
        { "text ending inside a char", [.. "abcd"u8, 0xE2, 0x82] },
        { "a lead byte then a new lead byte", [.. "ab"u8, 0xC3, 0xC3, 0xA9, .. "cd"u8] },
    };

    [Fact]
    public void ValidText_CutAnywhereIntoTwoOrThreeBuffers_IsValid()
    {
        var utf8 = Encoding.UTF8.GetBytes(Sample + Sample);
        for (var first = 0; first <= utf8.Length; first++)
        {
            WireJson.EnsureValidUtf8(Split(utf8, first));
            for (var second = first; second <= utf8.Length; second++)
            {
                WireJson.EnsureValidUtf8(Split(utf8, first, second));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public void DamagedText_CutAnywhere_IsRefusedAtTheSamePlaceAsInOnePiece(string what, byte[] damaged)
    {
        byte[] utf8 = [.. Encoding.UTF8.GetBytes(Sample), .. damaged, .. Encoding.UTF8.GetBytes(Sample)];
        Assert.False(Utf8.IsValid(utf8), what);
        var expected = Assert.Throws<JsonException>(() => WireJson.EnsureValidUtf8(utf8.AsSpan()));

        for (var first = 0; first <= utf8.Length; first++)
        {
            for (var second = first; second <= utf8.Length; second += 3)
            {
                var actual = Assert.Throws<JsonException>(() => WireJson.EnsureValidUtf8(Split(utf8, first, second)));
                Assert.Equal(expected.Message, actual.Message);
                Assert.Equal(expected.LineNumber, actual.LineNumber);
                Assert.Equal(expected.BytePositionInLine, actual.BytePositionInLine);
            }
        }
    }

    [Fact]
    public void RandomBytes_InOneByteBuffers_AgreeWithTheCheckInOnePiece()
    {
        var random = new Random(20261202);
        var utf8 = new byte[64];
        for (var round = 0; round < 5_000; round++)
        {
            // Mostly valid text with a few random bytes, so both answers are common.
            var text = Encoding.UTF8.GetBytes(Sample);
            text.AsSpan(0, Math.Min(text.Length, utf8.Length)).CopyTo(utf8);
            for (var i = random.Next(3); i > 0; i--)
            {
                utf8[random.Next(utf8.Length)] = (byte)random.Next(256);
            }

            var length = random.Next(text.Length + 1);
            var bytes = utf8[..length];
            var valid = Utf8.IsValid(bytes);
            var cuts = Enumerable.Range(1, Math.Max(0, length - 1)).ToArray();
            var exception = Record.Exception(() => WireJson.EnsureValidUtf8(Split(bytes, cuts)));
            Assert.True(valid == exception is null, $"round {round}: {Convert.ToHexString(bytes)}");
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        var bounds = cuts.Prepend(0).Append(bytes.Length).ToArray();
        Chunk? first = null;
        Chunk? last = null;
        for (var i = 0; i + 1 < bounds.Length; i++)
        {
            var chunk = new Chunk(bytes.AsMemory(bounds[i], bounds[i + 1] - bounds[i]), last);
            first ??= chunk;
            last = chunk;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, Chunk? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
