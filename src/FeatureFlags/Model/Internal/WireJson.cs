using System.Text.Json;

namespace FeatureFlags.Model.Internal;

/// <summary>Reads FeatBit wire JSON with the source-generated context.</summary>
internal static class WireJson
{
    /// <summary>
    /// Reads a <c>data-sync</c> payload from either the whole envelope (<c>{"messageType":"data-sync","data":{...}}</c>,
    /// as the server pushes it and <c>/api/public/sdk/server/latest-all</c> returns it) or the bare <c>data</c> object.
    /// </summary>
    /// <exception cref="JsonException">The JSON is malformed or is not a data-sync payload.</exception>
    public static DataSyncPayloadDto ReadDataSync(ReadOnlySpan<byte> utf8Json)
    {
        var message = JsonSerializer.Deserialize(utf8Json, WireJsonContext.Default.DataSyncMessageDto)
            ?? throw new JsonException("The JSON is null.");
        if (message.Data is not null)
        {
            if (message.MessageType is not null && !string.Equals(message.MessageType, "data-sync", StringComparison.OrdinalIgnoreCase))
            {
                throw new JsonException($"Expected a data-sync message but found '{message.MessageType}'.");
            }

            return message.Data;
        }

        var payload = JsonSerializer.Deserialize(utf8Json, WireJsonContext.Default.DataSyncPayloadDto)
            ?? throw new JsonException("The JSON is null.");
        if (payload.FeatureFlags is null && payload.Segments is null)
        {
            throw new JsonException("The JSON has neither 'data' nor 'featureFlags'/'segments'.");
        }

        return payload;
    }
}
