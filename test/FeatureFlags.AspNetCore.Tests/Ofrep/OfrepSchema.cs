using System.Text.Json;
using Xunit;

namespace FeatureFlags.AspNetCore.Tests.Ofrep;

/// <summary>
/// The response shapes of the OFREP OpenAPI document (open-feature/protocol, <c>service/openapi.yaml</c>, OFREP 0.1.0,
/// <c>components/schemas</c>), as expectations: the required properties, the types and the enums each schema declares.
/// </summary>
internal static class OfrepSchema
{
    /// <summary><c>evaluationFailure.errorCode</c>'s enum.</summary>
    public static readonly string[] EvaluationFailureCodes = ["PARSE_ERROR", "TARGETING_KEY_MISSING", "INVALID_CONTEXT", "GENERAL"];

    /// <summary><c>evaluationSuccess.reason</c>'s examples (the reasons OpenFeature defines; a string in the schema).</summary>
    public static readonly string[] Reasons = ["STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "UNKNOWN", "DEFAULT", "ERROR"];

    /// <summary>
    /// <c>evaluationSuccess</c> (and <c>serverEvaluationSuccess</c>, which only adds an optional <c>cacheable</c>): <c>key</c>
    /// a string, <c>reason</c> and <c>variant</c> strings, <c>metadata</c> an object of booleans, strings and numbers, and one
    /// of <c>booleanFlag</c> / <c>stringFlag</c> / <c>integerFlag</c> / <c>floatFlag</c> / <c>objectFlag</c>: <c>value</c> required.
    /// </summary>
    public static void AssertEvaluationSuccess(JsonElement flag, string key)
    {
        Assert.Equal(JsonValueKind.Object, flag.ValueKind);
        Assert.Equal(key, flag.GetProperty("key").GetString());
        Assert.True(flag.TryGetProperty("value", out var value), "value is required (booleanFlag/stringFlag/integerFlag/floatFlag/objectFlag)");
        Assert.Contains(value.ValueKind, new[] { JsonValueKind.True, JsonValueKind.False, JsonValueKind.String, JsonValueKind.Number, JsonValueKind.Object });
        if (flag.TryGetProperty("reason", out var reason))
        {
            Assert.Contains(reason.GetString(), Reasons);
        }

        if (flag.TryGetProperty("variant", out var variant))
        {
            Assert.Equal(JsonValueKind.String, variant.ValueKind);
        }

        if (flag.TryGetProperty("metadata", out var metadata))
        {
            Assert.Equal(JsonValueKind.Object, metadata.ValueKind);
            Assert.All(metadata.EnumerateObject(), p => Assert.Contains(p.Value.ValueKind, new[] { JsonValueKind.True, JsonValueKind.False, JsonValueKind.String, JsonValueKind.Number }));
        }

        Assert.False(flag.TryGetProperty("errorCode", out _));
    }

    /// <summary><c>evaluationFailure</c>: <c>key</c> and <c>errorCode</c> required, the code from its enum, <c>errorDetails</c> a string.</summary>
    public static void AssertEvaluationFailure(JsonElement body, string key, string errorCode)
    {
        Assert.Contains(errorCode, EvaluationFailureCodes);
        Assert.Equal(key, body.GetProperty("key").GetString());
        Assert.Equal(errorCode, body.GetProperty("errorCode").GetString());
        AssertDetails(body);
        Assert.False(body.TryGetProperty("value", out _));
    }

    /// <summary><c>flagNotFound</c>: <c>key</c> and <c>errorCode</c> (enum <c>FLAG_NOT_FOUND</c>) required.</summary>
    public static void AssertFlagNotFound(JsonElement body, string key)
    {
        Assert.Equal(key, body.GetProperty("key").GetString());
        Assert.Equal("FLAG_NOT_FOUND", body.GetProperty("errorCode").GetString());
        AssertDetails(body);
    }

    /// <summary><c>bulkEvaluationSuccess</c>: <c>flags</c> required, an array of evaluationSuccess or evaluationFailure.</summary>
    public static JsonElement[] AssertBulkSuccess(JsonElement body)
    {
        var flags = body.GetProperty("flags");
        Assert.Equal(JsonValueKind.Array, flags.ValueKind);
        var items = flags.EnumerateArray().ToArray();
        foreach (var item in items)
        {
            var key = item.GetProperty("key").GetString()!;
            if (item.TryGetProperty("errorCode", out var code))
            {
                AssertEvaluationFailure(item, key, code.GetString()!);
            }
            else
            {
                AssertEvaluationSuccess(item, key);
            }
        }

        return items;
    }

    /// <summary><c>bulkEvaluationFailure</c>: <c>errorCode</c> required (a string), <c>errorDetails</c> a string.</summary>
    public static void AssertBulkFailure(JsonElement body, string errorCode)
    {
        Assert.Equal(errorCode, body.GetProperty("errorCode").GetString());
        AssertDetails(body);
    }

    /// <summary><c>generalErrorResponse</c>: <c>errorDetails</c>, a string.</summary>
    public static void AssertGeneralError(JsonElement body)
    {
        Assert.Equal(JsonValueKind.String, body.GetProperty("errorDetails").ValueKind);
        Assert.False(body.TryGetProperty("value", out _));
    }

    private static void AssertDetails(JsonElement body)
    {
        if (body.TryGetProperty("errorDetails", out var details))
        {
            Assert.Equal(JsonValueKind.String, details.ValueKind);
        }
    }
}
