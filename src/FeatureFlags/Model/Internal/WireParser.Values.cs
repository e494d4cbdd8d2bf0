using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FeatureFlags.Model.Internal;

// Values and lists: strings (pooled or not), booleans, numbers (also in strings), and exactly sized lists.
internal sealed partial class WireParser
{
    private static string? ReadString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"Expected a string but found {reader.TokenType}."),
    };

    /// <summary>A string that repeats across entities, shared through the pool.</summary>
    private string? ReadPooledString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return ReadString(ref reader);
        }

        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return _pool.Get(reader.ValueSpan);
        }

        return ReadPooledCopy(ref reader);
    }

    /// <summary><see cref="ReadPooledString"/> for an escaped or split string (kept apart: the common path has no buffer).</summary>
    private string ReadPooledCopy(ref Utf8JsonReader reader)
    {
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > 4 * Utf8StringPool.MaxPooledLength)
        {
            return reader.GetString()!;
        }

        Span<byte> buffer = stackalloc byte[4 * Utf8StringPool.MaxPooledLength];
        return _pool.Get(buffer[..reader.CopyString(buffer)]);
    }

    private static bool ReadBool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new JsonException($"Expected true or false but found {reader.TokenType}."),
    };

    /// <summary>A number, or a number in a string (the serializer's <c>AllowReadingFromString</c>).</summary>
    private static double ReadDouble(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.HasValueSequence && TryParseShortDecimal(reader.ValueSpan, out var simple))
            {
                return simple;
            }

            return reader.TryGetDouble(out var number) ? number : throw new JsonException("The number does not fit a double.");
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a number but found {reader.TokenType}.");
        }

        Span<byte> buffer = stackalloc byte[128];
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > buffer.Length)
        {
            throw new JsonException("The string is too long to be a number.");
        }

        var text = !reader.HasValueSequence && !reader.ValueIsEscaped ? reader.ValueSpan : buffer[..reader.CopyString(buffer)];
        return Utf8Parser.TryParse(text, out double value, out var consumed) && consumed == text.Length && double.IsFinite(value)
            ? value
            : throw new JsonException("The string is not a number.");
    }

    /// <summary>
    /// A JSON number the reader has validated, without an exponent and with at most 15 digits (rollouts: 0, 1, 0.25):
    /// the digits as an integer n, exact in a double, divided by 10^k, an exact power; one correctly rounded division
    /// gives the same double as a full parse (Clinger's fast path). Anything else is left to the reader.
    /// </summary>
    internal static bool TryParseShortDecimal(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var i = 0;
        var negative = text.Length > 0 && text[0] == (byte)'-';
        if (negative)
        {
            i++;
        }

        long digits = 0;
        var count = 0;
        var fraction = -1;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if ((uint)(c - '0') <= 9)
            {
                digits = (digits * 10) + (c - '0');
                count++;
            }
            else if (c == (byte)'.' && fraction < 0)
            {
                fraction = count;
            }
            else
            {
                return false; // an exponent
            }
        }

        if (count is 0 or > 15)
        {
            return false;
        }

        var scale = fraction < 0 ? 0 : count - fraction;
        value = scale == 0 ? digits : digits / PowersOf10[scale];
        value = negative ? -value : value;
        return true;
    }

    private static readonly double[] PowersOf10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    private List<string?>? ReadStringList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectArray(ref reader);
        var scratch = _strings;
        scratch.Clear();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            scratch.Add(ReadPooledString(ref reader));
        }

        return ToList(scratch);
    }

    private double[]? ReadDoubleArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectArray(ref reader);
        var scratch = _doubles;
        scratch.Clear();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            scratch.Add(ReadDouble(ref reader));
        }

        if (scratch.Count == 2)
        {
            return SharedInterval(scratch[0], scratch[1]);
        }

        return [.. scratch];
    }

    /// <summary>
    /// Rollout intervals repeat across a data set ([0,1], [0,0.5], [0.5,1]...): one array per interval, never mutated.
    /// The first few distinct intervals are found by a scan of a short array (equal as the dictionary behind it
    /// compares them, <see cref="double.Equals(double)"/>), the rest in the dictionary.
    /// </summary>
    private double[] SharedInterval(double min, double max)
    {
        var recent = _recentIntervals;
        for (var i = 0; i < _recentCount; i++)
        {
            var candidate = recent[i];
            if (candidate[0].Equals(min) && candidate[1].Equals(max))
            {
                return candidate;
            }
        }

        var key = (min, max);
        _intervals ??= [];
        if (!_intervals.TryGetValue(key, out var shared))
        {
            shared = [min, max];
            _intervals[key] = shared;
            if (_recentCount < recent.Length)
            {
                recent[_recentCount++] = shared;
            }
        }

        return shared;
    }

    private List<T>? ReadList<T>(ref Utf8JsonReader reader, List<T> scratch, ElementReader<T> read)
        where T : class
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectArray(ref reader);
        scratch.Clear();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // A null element stays null, as the serializer left it (the compiler skips it).
            scratch.Add(reader.TokenType == JsonTokenType.Null ? null! : read(this, ref reader)!);
        }

        return ToList(scratch);
    }

    private static void ExpectArray(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected an array but found {reader.TokenType}.");
        }
    }

    /// <summary>A copy of the scratch list, sized exactly (no array at all when empty).</summary>
    private static List<T> ToList<T>(List<T> scratch)
    {
        if (scratch.Count == 0)
        {
            return [];
        }

        var list = new List<T>(scratch.Count);
        CollectionsMarshal.SetCount(list, scratch.Count);
        CollectionsMarshal.AsSpan(scratch).CopyTo(CollectionsMarshal.AsSpan(list));
        return list;
    }
}
