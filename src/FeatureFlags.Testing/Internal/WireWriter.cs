using System.Buffers;
using System.Text.Json;
using FeatureFlags.DataSystem;

namespace FeatureFlags.Testing.Internal;

/// <summary>One condition of a flag or segment rule, as FeatBit's wire model has it.</summary>
/// <param name="Property">The user attribute, or <c>User is (not) in segment</c>.</param>
/// <param name="Op">The operator's wire name; <see langword="null"/> for a segment condition.</param>
/// <param name="Value">The operand (a JSON array string for the list operators and segment conditions).</param>
internal sealed record Condition(string Property, string? Op, string Value)
{
    /// <summary>The property of a segment condition (FeatBit's <c>SegmentConsts</c>).</summary>
    public const string InSegmentProperty = "User is in segment";

    /// <summary>The property of a negative segment condition.</summary>
    public const string NotInSegmentProperty = "User is not in segment";

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("property", Property);
        writer.WriteString("op", Op);
        writer.WriteString("value", Value);
        writer.WriteEndObject();
    }
}

/// <summary>
/// Writes test flags and segments as FeatBit <c>data-sync</c> JSON and parses it into the <see cref="FlagDataSet"/>
/// the SDK's data system commits: the same path as server data.
/// </summary>
internal static class WireWriter
{
    /// <summary>A data set: <paramref name="full"/> replaces everything, otherwise a patch.</summary>
    public static FlagDataSet DataSet(bool full, IEnumerable<Action<Utf8JsonWriter>> flags, IEnumerable<Action<Utf8JsonWriter>> segments)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("eventType", full ? "full" : "patch");
            writer.WriteStartArray("featureFlags");
            foreach (var flag in flags)
            {
                flag(writer);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("segments");
            foreach (var segment in segments)
            {
                segment(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var data = FlagDataSet.Parse(buffer.WrittenSpan);
        return data.InvalidCount == 0
            ? data
            : throw new InvalidOperationException($"FeatureFlags.Testing wrote {data.InvalidCount} flag or segment(s) the SDK cannot read; this is a bug in FeatureFlags.Testing.");
    }

    /// <summary>A JSON array of strings, as text (the operand of list operators and segment conditions).</summary>
    public static string StringArray(IEnumerable<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes <paramref name="name"/>: an array of strings.</summary>
    public static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes <paramref name="name"/>: an array of conditions.</summary>
    public static void WriteConditions(Utf8JsonWriter writer, string name, IEnumerable<Condition> conditions)
    {
        writer.WriteStartArray(name);
        foreach (var condition in conditions)
        {
            condition.WriteTo(writer);
        }

        writer.WriteEndArray();
    }
}
