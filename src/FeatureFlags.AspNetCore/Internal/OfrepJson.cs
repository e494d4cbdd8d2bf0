using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// Writes OFREP's response shapes with a <see cref="Utf8JsonWriter"/> (no reflection: AOT- and trim-safe). A flag's
/// value is written as a JSON value of the flag's declared type: boolean, number, string, or the JSON of a json flag.
/// </summary>
internal static class OfrepJson
{
    /// <summary>
    /// Writes one flag: <c>{key, value, reason, variant}</c> (evaluationSuccess) or <c>{key, errorCode, errorDetails}</c>
    /// (evaluationFailure / flagNotFound). Returns the error code written, or null for a success.
    /// </summary>
    public static string? WriteFlag(Utf8JsonWriter writer, in RemoteEvaluation evaluation)
    {
        var detail = evaluation.Detail;
        var error = ErrorOf(detail.Kind);
        if (error is null && !IsValue(detail.Value, evaluation.ValueType))
        {
            error = (OfrepErrors.ParseError, $"The flag's value is not a valid {TypeName(evaluation.ValueType)}.");
        }

        if (error is { } failure)
        {
            WriteFailure(writer, detail.FlagKey, failure.Code, failure.Details);
            return failure.Code;
        }

        writer.WriteStartObject();
        writer.WriteString("key"u8, detail.FlagKey);
        writer.WritePropertyName("value"u8);
        WriteValue(writer, detail.Value, evaluation.ValueType);
        writer.WriteString("reason"u8, evaluation.OpenFeatureReason);
        writer.WriteString("variant"u8, detail.VariationId);
        writer.WriteEndObject();
        return null;
    }

    public static void WriteFailure(Utf8JsonWriter writer, string? key, string errorCode, string errorDetails)
    {
        writer.WriteStartObject();
        if (key is not null)
        {
            writer.WriteString("key"u8, key);
        }

        writer.WriteString("errorCode"u8, errorCode);
        writer.WriteString("errorDetails"u8, errorDetails);
        writer.WriteEndObject();
    }

    /// <summary>generalErrorResponse: <c>{errorDetails}</c>.</summary>
    public static void WriteGeneralError(Utf8JsonWriter writer, string errorDetails)
    {
        writer.WriteStartObject();
        writer.WriteString("errorDetails"u8, errorDetails);
        writer.WriteEndObject();
    }

    /// <summary>The OFREP error of an outcome that served no variation; null when a variation was served.</summary>
    private static (string Code, string Details)? ErrorOf(EvaluationReasonKind kind) => kind switch
    {
        EvaluationReasonKind.FlagNotFound => (OfrepErrors.FlagNotFound, "The flag does not exist."),
        EvaluationReasonKind.MalformedFlag => (OfrepErrors.ParseError, "The flag's data is broken (see the server's log); its default applies."),
        EvaluationReasonKind.ClientNotReady => (OfrepErrors.General, "The flag data is not loaded yet."),
        EvaluationReasonKind.Error or EvaluationReasonKind.WrongType => (OfrepErrors.General, "The flag could not be evaluated (see the server's log)."),
        _ => null,
    };

    private static bool IsValue(string value, FlagVariationType type) => type switch
    {
        FlagVariationType.Boolean => bool.TryParse(value, out _),
        FlagVariationType.Number => TryNumber(value, out _),
        FlagVariationType.Json => IsJson(value),
        _ => true,
    };

    private static void WriteValue(Utf8JsonWriter writer, string value, FlagVariationType type)
    {
        switch (type)
        {
            case FlagVariationType.Boolean:
                writer.WriteBooleanValue(bool.Parse(value));
                break;
            case FlagVariationType.Number:
                _ = TryNumber(value, out var number);
                if (number == Math.Floor(number) && Math.Abs(number) < 1e15)
                {
                    writer.WriteNumberValue((long)number);
                }
                else
                {
                    writer.WriteNumberValue(number);
                }

                break;
            case FlagVariationType.Json:
                writer.WriteRawValue(value, skipInputValidation: false);
                break;
            default:
                writer.WriteStringValue(value);
                break;
        }
    }

    private static bool TryNumber(string value, out double number)
        => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    private static bool IsJson(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string TypeName(FlagVariationType type) => type switch
    {
        FlagVariationType.Boolean => "boolean",
        FlagVariationType.Number => "number",
        FlagVariationType.Json => "JSON document",
        _ => "string",
    };

    /// <summary>A writer over a pooled buffer; the caller disposes the writer, then reads <paramref name="buffer"/>.</summary>
    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> buffer)
        => new(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false });
}
