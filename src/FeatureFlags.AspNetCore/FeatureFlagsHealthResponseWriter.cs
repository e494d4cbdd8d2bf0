using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FeatureFlags.AspNetCore;

/// <summary>
/// Writes a health report as JSON with each check's status, description and data, so a probe or an operator sees why
/// the app is degraded (for example the bootstrap file error while a broken edit is in force), not just the word.
/// </summary>
/// <remarks>
/// The default writer of <c>MapHealthChecks</c> writes only the overall status. This one writes
/// <c>{"status": "...", "checks": {"name": {"status": "...", "description": "...", "data": {...}}}}</c> with
/// <see cref="Utf8JsonWriter"/> (trimming- and NativeAOT-safe). The feature-flag check's data never holds the secret;
/// other checks' data is written as they report it.
/// </remarks>
/// <example>
/// <code>
/// app.MapHealthChecks("/health", new() { ResponseWriter = FeatureFlagsHealthResponseWriter.WriteAsync });
/// </code>
/// </example>
public static class FeatureFlagsHealthResponseWriter
{
    /// <summary>Writes <paramref name="report"/> to the response as <c>application/json</c>.</summary>
    /// <param name="context">The request's context.</param>
    /// <param name="report">The health report.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json; charset=utf-8";
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", report.Status.ToString());
            writer.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                writer.WriteStartObject(name);
                writer.WriteString("status", entry.Status.ToString());
                if (entry.Description is { } description)
                {
                    writer.WriteString("description", description);
                }

                writer.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    WriteValue(writer, key, value);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteValue(Utf8JsonWriter writer, string key, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(key);
                break;
            case bool b:
                writer.WriteBoolean(key, b);
                break;
            case int i:
                writer.WriteNumber(key, i);
                break;
            case long l:
                writer.WriteNumber(key, l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumber(key, d);
                break;
            default:
                writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
