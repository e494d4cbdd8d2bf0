using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace FeatureFlags.Model.Internal;

/// <summary>A list read element by element: an element that fails to read is skipped and its error kept.</summary>
internal sealed class TolerantList<T>
    where T : class
{
    public List<T> Items { get; } = [];

    public List<string> Errors { get; } = [];
}

/// <summary>
/// Reads a JSON array so that one malformed element (wrong types, a bad date) is skipped with an error message
/// instead of failing the whole message. Structurally invalid JSON still fails, as it must.
/// </summary>
internal sealed class TolerantListConverter<T> : JsonConverter<TolerantList<T>>
    where T : class
{
    public override TolerantList<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected an array of {typeof(T).Name} but found {reader.TokenType}.");
        }

        var typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
        var list = new TolerantList<T>();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = reader;
            try
            {
                var item = JsonSerializer.Deserialize(ref reader, typeInfo);
                if (item is null)
                {
                    list.Errors.Add($"element {index} is null");
                }
                else
                {
                    list.Items.Add(item);
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or OverflowException)
            {
                // Rewind to the element's start and skip it whole; Skip fails only on broken JSON, which must fail.
                reader = start;
                reader.Skip();
                list.Errors.Add($"element {index}: {ex.Message}");
            }

            index++;
        }

        return list;
    }

    public override void Write(Utf8JsonWriter writer, TolerantList<T> value, JsonSerializerOptions options)
    {
        // The list in one call (its type is in the serialiser's context): a call per element set up the serialiser's
        // state for each, an allocation per flag when a whole data set is written.
        JsonSerializer.Serialize(writer, value.Items, (JsonTypeInfo<List<T>>)options.GetTypeInfo(typeof(List<T>)));
    }
}
