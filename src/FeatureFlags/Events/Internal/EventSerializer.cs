using System.Buffers;
using System.Text.Json;

namespace FeatureFlags.Events.Internal;

/// <summary>
/// Writes a batch of events in the official FeatBit .NET SDK's wire format: a JSON array with one
/// element per event, each with its <c>user</c> and a one-item <c>variations</c> or <c>metrics</c> array, or the user
/// alone. Streams with a <see cref="Utf8JsonWriter"/>: no reflection, AOT-safe, no intermediate objects.
/// </summary>
internal static class EventSerializer
{
    /// <summary>The <c>appType</c> of a metric (the official .NET SDK's value).</summary>
    public const string AppType = "dotnet-server-side";

    /// <summary>The fixed <c>route</c> of a metric.</summary>
    public const string Route = "index/metric";

    /// <summary>The fixed <c>type</c> of a metric; the server uses it as the analytics event name.</summary>
    public const string MetricType = "CustomEvent";

    /// <summary>The <c>type</c> of a page view, as FeatBit's JavaScript SDK sends it for a page-view metric.</summary>
    public const string PageViewType = "PageView";

    private static readonly JsonEncodedText UserName = JsonEncodedText.Encode("user");
    private static readonly JsonEncodedText KeyIdName = JsonEncodedText.Encode("keyId");
    private static readonly JsonEncodedText NameName = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText CustomizedPropertiesName = JsonEncodedText.Encode("customizedProperties");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText VariationsName = JsonEncodedText.Encode("variations");
    private static readonly JsonEncodedText FeatureFlagKeyName = JsonEncodedText.Encode("featureFlagKey");
    private static readonly JsonEncodedText VariationName = JsonEncodedText.Encode("variation");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText SendToExperimentName = JsonEncodedText.Encode("sendToExperiment");
    private static readonly JsonEncodedText MetricsName = JsonEncodedText.Encode("metrics");
    private static readonly JsonEncodedText AppTypeName = JsonEncodedText.Encode("appType");
    private static readonly JsonEncodedText RouteName = JsonEncodedText.Encode("route");
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText EventNameName = JsonEncodedText.Encode("eventName");
    private static readonly JsonEncodedText NumericValueName = JsonEncodedText.Encode("numericValue");
    private static readonly JsonEncodedText AppTypeValue = JsonEncodedText.Encode(AppType);
    private static readonly JsonEncodedText RouteValue = JsonEncodedText.Encode(Route);
    private static readonly JsonEncodedText MetricTypeValue = JsonEncodedText.Encode(MetricType);
    private static readonly JsonEncodedText PageViewTypeValue = JsonEncodedText.Encode(PageViewType);
    private static readonly JsonEncodedText EmailValue = JsonEncodedText.Encode(FlagUser.EmailAttribute);
    private static readonly JsonEncodedText CountryValue = JsonEncodedText.Encode(FlagUser.CountryAttribute);

    /// <summary>Writes <paramref name="events"/> as one JSON array to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<InsightEvent> events)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        Write(writer, events);
    }

    /// <summary>Writes <paramref name="events"/> as one JSON array (the writer is reused between batches).</summary>
    public static void Write(Utf8JsonWriter writer, ReadOnlySpan<InsightEvent> events)
    {
        writer.WriteStartArray();
        foreach (ref readonly var e in events)
        {
            WriteEvent(writer, e);
        }

        writer.WriteEndArray();
        writer.Flush();
    }

    private static void WriteEvent(Utf8JsonWriter writer, in InsightEvent e)
    {
        writer.WriteStartObject();
        WriteUser(writer, e.User);
        switch (e.Kind)
        {
            case InsightEventKind.Evaluation:
                writer.WriteStartArray(VariationsName);
                writer.WriteStartObject();
                writer.WriteString(FeatureFlagKeyName, e.Name);
                writer.WriteStartObject(VariationName);
                writer.WriteString(IdName, e.Variation!.Id);
                writer.WriteString(ValueName, e.Variation.Value);
                writer.WriteEndObject();
                writer.WriteNumber(TimestampName, e.Timestamp);
                writer.WriteBoolean(SendToExperimentName, e.SendToExperiment);
                writer.WriteEndObject();
                writer.WriteEndArray();
                break;
            case InsightEventKind.Metric:
            case InsightEventKind.PageView:
                var pageView = e.Kind == InsightEventKind.PageView;
                writer.WriteStartArray(MetricsName);
                writer.WriteStartObject();
                writer.WriteString(AppTypeName, AppTypeValue);
                if (pageView)
                {
                    writer.WriteString(RouteName, e.Route);
                    writer.WriteString(TypeName, PageViewTypeValue);
                }
                else
                {
                    writer.WriteString(RouteName, RouteValue);
                    writer.WriteString(TypeName, MetricTypeValue);
                }

                writer.WriteString(EventNameName, e.Name);
                writer.WriteNumber(NumericValueName, e.NumericValue);
                writer.WriteNumber(TimestampName, e.Timestamp);
                writer.WriteEndObject();
                writer.WriteEndArray();
                break;
            default:
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteUser(Utf8JsonWriter writer, FlagUser user)
    {
        writer.WriteStartObject(UserName);
        writer.WriteString(KeyIdName, user.Key);
        writer.WriteString(NameName, user.Name);
        writer.WriteStartArray(CustomizedPropertiesName);
        foreach (var (name, value) in user.Custom)
        {
            WriteProperty(writer, name, value);
        }

        if (user.Email is { } email)
        {
            writer.WriteStartObject();
            writer.WriteString(NameName, EmailValue);
            writer.WriteString(ValueName, email);
            writer.WriteEndObject();
        }

        if (user.Country is { } country)
        {
            writer.WriteStartObject();
            writer.WriteString(NameName, CountryValue);
            writer.WriteString(ValueName, country);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter writer, string name, string value)
    {
        writer.WriteStartObject();
        writer.WriteString(NameName, name);
        writer.WriteString(ValueName, value);
        writer.WriteEndObject();
    }
}
