using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FeatureFlags.Tests.Support;

/// <summary>
/// Turns a Verify snapshot (<c>*.verified.txt</c>: JSON-like, unquoted, with scrubbed <c>Guid_N</c>/<c>DateTimeOffset_N</c>
/// values) back into JSON, so the official snapshots can be fed to our readers. Scrubbed GUIDs and dates become
/// deterministic values; wire fields that are strings stay strings even when they look like numbers.
/// </summary>
internal static class VerifySnapshot
{
    // Fields that are numbers on the wire; everything else scalar is a string unless null/true/false.
    private static readonly HashSet<string> NumberFields = new(StringComparer.Ordinal) { "exptRollout", "timestamp", "numericValue", "rollout" };

    // Fields whose value is always a string, even "true" or "null" (variation and condition values).
    private static readonly HashSet<string> StringFields = new(StringComparer.Ordinal) { "value", "name", "id", "key" };

    public static string ToJson(string snapshot)
    {
        var lines = snapshot.TrimStart('\uFEFF').Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            var containers = new Stack<string?>();
            for (var i = 0; i < lines.Length; i++)
            {
                // Verify separates siblings with a trailing comma; the writer adds its own.
                var line = lines[i].EndsWith(',') ? lines[i][..^1] : lines[i];
                if (line is "}" or "]")
                {
                    containers.Pop();
                    if (line == "}")
                    {
                        writer.WriteEndObject();
                    }
                    else
                    {
                        writer.WriteEndArray();
                    }

                    continue;
                }

                string? name = null;
                var value = line;
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (containers.Count > 0 && containers.Peek() is null && colon > 0)
                {
                    // Inside an object every line is "name: value".
                    name = line[..colon];
                    value = line[(colon + 2)..];
                    writer.WritePropertyName(name);
                }
                else if (line.EndsWith(':'))
                {
                    // "name:" then a multi-line string, up to the next "field: value" line.
                    name = line[..^1];
                    writer.WritePropertyName(name);
                    var text = new StringBuilder();
                    while (i + 1 < lines.Length && !IsFieldLine(lines[i + 1]))
                    {
                        text.Append(text.Length > 0 ? "\n" : string.Empty).Append(lines[++i]);
                    }

                    value = text.ToString();
                }

                var field = name ?? (containers.Count > 0 ? containers.Peek() : null);
                switch (value)
                {
                    case "{":
                        writer.WriteStartObject();
                        containers.Push(null);
                        break;
                    case "[":
                        writer.WriteStartArray();
                        containers.Push(name ?? "item");
                        break;
                    default:
                        WriteScalar(writer, field, value);
                        break;
                }
            }
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static bool IsFieldLine(string line)
        => line is "}" or "]" or "}," or "]," || System.Text.RegularExpressions.Regex.IsMatch(line, "^[A-Za-z]+:( |$)");

    private static void WriteScalar(Utf8JsonWriter writer, string? field, string value)
    {
        if (value.StartsWith("Guid_", StringComparison.Ordinal))
        {
            writer.WriteStringValue($"00000000-0000-4000-8000-{int.Parse(value[5..], CultureInfo.InvariantCulture):D12}");
        }
        else if (value.StartsWith("DateTimeOffset_", StringComparison.Ordinal))
        {
            var n = int.Parse(value[15..], CultureInfo.InvariantCulture);
            writer.WriteStringValue(new DateTimeOffset(2023, 1, 28, 0, 0, n, TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture));
        }
        else if (value == "{Scrubbed}")
        {
            writer.WriteNumberValue(1700000000000);
        }
        else if (field is not null && StringFields.Contains(field))
        {
            writer.WriteStringValue(value);
        }
        else if (value == "null")
        {
            writer.WriteNullValue();
        }
        else if (value is "true" or "false")
        {
            writer.WriteBooleanValue(value == "true");
        }
        else if (field is not null && NumberFields.Contains(field) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
