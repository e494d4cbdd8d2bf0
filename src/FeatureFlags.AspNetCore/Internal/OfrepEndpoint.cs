using System.Buffers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace FeatureFlags.AspNetCore.Internal;

/// <summary>
/// The OFREP endpoints' handlers: single (<c>POST /ofrep/v1/evaluate/flags/{key}</c>) and bulk
/// (<c>POST /ofrep/v1/evaluate/flags</c>, with <c>ETag</c> / <c>If-None-Match</c>). No exception escapes: an unexpected
/// failure is logged (4021) and answered 500 with OFREP's generalErrorResponse when the response has not started.
/// </summary>
internal sealed partial class OfrepEndpoint
{
    private const string JsonContentType = "application/json; charset=utf-8";

    private readonly string? _client;
    private readonly HashSet<string>? _flags;
    private readonly int _maxBodySize;
    private readonly ILogger _logger;

    public OfrepEndpoint(OfrepOptions options, ILogger logger)
    {
        _client = options.Client;
        _flags = options.Flags is { Count: > 0 } flags ? new HashSet<string>(flags, StringComparer.Ordinal) : null;
        _maxBodySize = options.MaxRequestBodySize;
        _logger = logger;
    }

    public async Task EvaluateFlagAsync(HttpContext context)
    {
        var key = context.Request.RouteValues["key"] as string ?? string.Empty;
        try
        {
            var request = await OfrepRequestReader.ReadAsync(context.Request, _maxBodySize, context.RequestAborted).ConfigureAwait(false);
            if (request.User is not { } user)
            {
                LogRefused(request.ErrorCode!);
                await WriteAsync(context, StatusCodes.Status400BadRequest, w => OfrepJson.WriteFailure(w, key, request.ErrorCode!, request.ErrorDetails!)).ConfigureAwait(false);
                return;
            }

            if (_flags is not null && !_flags.Contains(key))
            {
                await WriteAsync(context, StatusCodes.Status404NotFound, w => OfrepJson.WriteFailure(w, key, OfrepErrors.FlagNotFound, "The flag does not exist.")).ConfigureAwait(false);
                return;
            }

            var evaluation = ClientOf(context).EvaluateRemote(key, user);
            if (evaluation.Detail.Kind == EvaluationReasonKind.ClientNotReady)
            {
                await WriteNotReadyAsync(context).ConfigureAwait(false);
                return;
            }

            string? error = null;
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = OfrepJson.CreateWriter(buffer))
            {
                error = OfrepJson.WriteFlag(writer, evaluation);
            }

            context.Response.StatusCode = error switch
            {
                null => StatusCodes.Status200OK,
                OfrepErrors.FlagNotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status400BadRequest,
            };
            await SendAsync(context, buffer.WrittenMemory).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away.
        }
        catch (Exception e)
        {
            await FailAsync(context, e).ConfigureAwait(false);
        }
    }

    public async Task EvaluateFlagsAsync(HttpContext context)
    {
        try
        {
            var request = await OfrepRequestReader.ReadAsync(context.Request, _maxBodySize, context.RequestAborted).ConfigureAwait(false);
            if (request.User is not { } user)
            {
                LogRefused(request.ErrorCode!);
                await WriteAsync(context, StatusCodes.Status400BadRequest, w => OfrepJson.WriteFailure(w, null, request.ErrorCode!, request.ErrorDetails!)).ConfigureAwait(false);
                return;
            }

            if (!ClientOf(context).TryEvaluateAllRemote(user, out var evaluations))
            {
                await WriteNotReadyAsync(context).ConfigureAwait(false);
                return;
            }

            var buffer = new ArrayBufferWriter<byte>(1024);
            using (var writer = OfrepJson.CreateWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("flags"u8);
                foreach (var evaluation in evaluations)
                {
                    if (_flags is null || _flags.Contains(evaluation.Detail.FlagKey))
                    {
                        OfrepJson.WriteFlag(writer, evaluation);
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            // A strong validator of the body itself: the same flags for the same context give the same ETag.
            var etag = ETagOf(buffer.WrittenSpan);
            context.Response.Headers.ETag = etag;
            if (Matches(context.Request.Headers.IfNoneMatch, etag))
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                context.Response.Headers.CacheControl = "no-cache, private";
                return;
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            await SendAsync(context, buffer.WrittenMemory).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away.
        }
        catch (Exception e)
        {
            await FailAsync(context, e).ConfigureAwait(false);
        }
    }

    private IFeatureFlagClient ClientOf(HttpContext context) => _client is null
        ? context.RequestServices.GetRequiredService<IFeatureFlagClient>()
        : context.RequestServices.GetRequiredKeyedService<IFeatureFlagClient>(_client);

    private static Task WriteNotReadyAsync(HttpContext context)
        => WriteAsync(context, StatusCodes.Status503ServiceUnavailable, static w => OfrepJson.WriteGeneralError(w, "The flag data is not loaded yet; try again later."));

    private static Task WriteAsync(HttpContext context, int statusCode, Action<System.Text.Json.Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = OfrepJson.CreateWriter(buffer))
        {
            write(writer);
        }

        context.Response.StatusCode = statusCode;
        return SendAsync(context, buffer.WrittenMemory);
    }

    private static async Task SendAsync(HttpContext context, ReadOnlyMemory<byte> body)
    {
        var response = context.Response;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;

        // Per caller and per context: no shared cache may keep it; the bulk ETag lets the caller revalidate.
        response.Headers.CacheControl = "no-cache, private";
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task FailAsync(HttpContext context, Exception exception)
    {
        LogFailed(exception);
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        try
        {
            await WriteAsync(context, StatusCodes.Status500InternalServerError, static w => OfrepJson.WriteGeneralError(w, "The flags could not be evaluated.")).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The caller went away: nothing more to tell it.
        }
    }

    private static string ETagOf(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        return string.Concat("\"", Convert.ToHexStringLower(hash[..16]), "\"");
    }

    /// <summary>If-None-Match with the weak comparison RFC 9110 asks for it (a <c>W/</c> prefix is ignored; <c>*</c> matches).</summary>
    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        if (StringValues.IsNullOrEmpty(ifNoneMatch) || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(etag);
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(ours, useStrongComparison: false))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 4020, Level = LogLevel.Debug, Message = "OFREP request refused with {ErrorCode}")]
    private partial void LogRefused(string errorCode);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Error, Message = "OFREP evaluation failed unexpectedly; answered 500")]
    private partial void LogFailed(Exception exception);
}
