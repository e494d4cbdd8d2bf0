using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>An OFREP request turned into our user, or the OFREP error that refuses it.</summary>
internal readonly record struct OfrepRequest(FlagUser? User, string? ErrorCode, string? ErrorDetails)
{
    public static OfrepRequest Fail(string errorCode, string errorDetails) => new(null, errorCode, errorDetails);
}

/// <summary>
/// Reads an OFREP evaluation request (<c>{"context": {"targetingKey": "...", ...attributes}}</c>) into a
/// <see cref="FlagUser"/>: bounded (the body by <see cref="OfrepOptions.MaxRequestBodySize"/>, the user by
/// <see cref="FlagUser"/>'s limits), parsed without reflection, and never throwing for bad input.
/// </summary>
internal static class OfrepRequestReader
{
    private const int MaxDepth = 16;

    public static async ValueTask<OfrepRequest> ReadAsync(HttpRequest request, int maxBodySize, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBodySize)
        {
            return TooLarge(maxBodySize);
        }

        // One byte past the limit tells an oversize body apart without reading the rest of it.
        var readLimit = maxBodySize < Array.MaxLength ? maxBodySize + 1 : Array.MaxLength;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(readLimit, 4096));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBodySize)
                    {
                        return TooLarge(maxBodySize);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, readLimit));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, readLimit) - length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBodySize)
                {
                    return TooLarge(maxBodySize);
                }
            }

            return Parse(buffer.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses a request body; an empty body is a request without a context.</summary>
    public static OfrepRequest Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return OfrepRequest.Fail(OfrepErrors.TargetingKeyMissing, "The request has no evaluation context: send {\"context\": {\"targetingKey\": \"...\"}}.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            return OfrepRequest.Fail(OfrepErrors.ParseError, "The request body is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return OfrepRequest.Fail(OfrepErrors.InvalidContext, "The request body must be a JSON object: {\"context\": {...}}.");
            }

            if (!root.TryGetProperty("context", out var context) || context.ValueKind == JsonValueKind.Null)
            {
                return OfrepRequest.Fail(OfrepErrors.TargetingKeyMissing, "The request has no evaluation context: send {\"context\": {\"targetingKey\": \"...\"}}.");
            }

            return context.ValueKind == JsonValueKind.Object
                ? ToUser(context)
                : OfrepRequest.Fail(OfrepErrors.InvalidContext, "The evaluation context must be a JSON object.");
        }
    }

    private static OfrepRequest ToUser(JsonElement context)
    {
        if (!context.TryGetProperty("targetingKey", out var keyElement) || keyElement.ValueKind == JsonValueKind.Null)
        {
            return OfrepRequest.Fail(OfrepErrors.TargetingKeyMissing, "The evaluation context has no targetingKey.");
        }

        if (keyElement.ValueKind != JsonValueKind.String)
        {
            return OfrepRequest.Fail(OfrepErrors.InvalidContext, "The targetingKey must be a string.");
        }

        var key = keyElement.GetString()!;
        if (string.IsNullOrWhiteSpace(key))
        {
            return OfrepRequest.Fail(OfrepErrors.TargetingKeyMissing, "The targetingKey is empty.");
        }

        if (key.Length > FlagUser.MaxKeyLength)
        {
            return OfrepRequest.Fail(OfrepErrors.InvalidContext, $"The targetingKey has {key.Length} characters; at most {FlagUser.MaxKeyLength} are allowed.");
        }

        var builder = FlagUser.Builder(key);
        var custom = 0;
        foreach (var property in context.EnumerateObject())
        {
            var name = property.Name;
            if (name == "targetingKey")
            {
                continue;
            }

            if (!TryGetText(property.Value, out var value))
            {
                return OfrepRequest.Fail(OfrepErrors.InvalidContext, $"The context attribute '{Shorten(name)}' is an object or an array; only strings, numbers and booleans are supported.");
            }

            if (value is null)
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(name) || name.Length > FlagUser.MaxAttributeNameLength)
            {
                return OfrepRequest.Fail(OfrepErrors.InvalidContext, $"A context attribute name is blank or longer than {FlagUser.MaxAttributeNameLength} characters.");
            }

            if (value.Length > FlagUser.MaxValueLength)
            {
                return OfrepRequest.Fail(OfrepErrors.InvalidContext, $"The context attribute '{name}' has {value.Length} characters; at most {FlagUser.MaxValueLength} are allowed.");
            }

            switch (name)
            {
                case FlagUser.NameAttribute:
                    builder.Name(value);
                    break;
                case FlagUser.EmailAttribute:
                    builder.Email(value);
                    break;
                case FlagUser.CountryAttribute:
                    builder.Country(value);
                    break;
                default:
                    if (++custom > FlagUser.MaxCustomAttributes)
                    {
                        return OfrepRequest.Fail(OfrepErrors.InvalidContext, $"The evaluation context has more than {FlagUser.MaxCustomAttributes} attributes besides targetingKey, name, email and country.");
                    }

                    builder.Custom(name, value);
                    break;
            }
        }

        return new OfrepRequest(builder.Build(), null, null);
    }

    /// <summary>A string, number or boolean as FeatBit's attribute text; null for JSON null; false for objects and arrays.</summary>
    private static bool TryGetText(JsonElement element, out string? value)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                value = element.GetString();
                return true;
            case JsonValueKind.Number:
                // The number as written (42, 3.5, 1e3): FeatBit compares numbers by parsing the attribute's text.
                value = element.GetRawText();
                return true;
            case JsonValueKind.True:
                value = "true";
                return true;
            case JsonValueKind.False:
                value = "false";
                return true;
            case JsonValueKind.Null:
                value = null;
                return true;
            default:
                value = null;
                return false;
        }
    }

    private static string Shorten(string name)
        => name.Length <= FlagUser.MaxAttributeNameLength ? name : string.Concat(name.AsSpan(0, FlagUser.MaxAttributeNameLength), "...");

    private static OfrepRequest TooLarge(int maxBodySize)
        => OfrepRequest.Fail(OfrepErrors.InvalidContext, string.Create(CultureInfo.InvariantCulture, $"The request body is larger than {maxBodySize} bytes."));
}
