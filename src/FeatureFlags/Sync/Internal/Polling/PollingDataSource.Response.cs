using System.Buffers;
using System.Text.Json;
using FeatureFlags.DataSystem;
using FeatureFlags.Model.Internal;

namespace FeatureFlags.Sync.Internal.Polling;

// The response side of a poll: the body read into pooled segments, checked, parsed from the segments, committed.
internal sealed partial class PollingDataSource
{
    /// <summary>
    /// Reads the response body into <paramref name="body"/>; false, having read at most one segment past it, when it is
    /// larger than <c>Streaming:MaxMessageSize</c> (a <c>Content-Length</c> over the limit is refused before reading).
    /// </summary>
    private async Task<bool> ReadBodyAsync(HttpResponseMessage response, PooledMessageBuffer body, CancellationToken ct)
    {
        var limit = _options.Streaming.MaxMessageSize;
        if (response.Content.Headers.ContentLength > limit)
        {
            return false;
        }

        using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var read = await stream.ReadAsync(body.GetMemory(), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return true;
            }

            body.Advance(read);
            if (body.Length > limit)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Commits a 200 response to the request made with <paramref name="cursor"/>: an empty body (nothing changed) only
    /// confirms Ready, without allocating; a data set is parsed, checked against the request, and committed.
    /// </summary>
    internal PollResult Process(in ReadOnlySequence<byte> body, long cursor, IFlagDataSourceUpdates updates, CancellationToken stopping)
    {
        if (IsBlank(body))
        {
            // Nothing changed since the cursor: Ready again once this source's data is committed.
            LogUnchanged(cursor);
            if (cursor != 0)
            {
                updates.UpdateStatus(FeatureFlagsState.Ready);
                return new PollResult(PollOutcome.Unchanged, 200, null);
            }

            return new PollResult(PollOutcome.Invalid, 200, "an empty response to a request for the full data set");
        }

        var received = _time.GetTimestamp();
        FlagDataSet data;
        try
        {
            // Checked as UTF-8 (an HTTP body, unlike a WebSocket text message, is not), then parsed from the segments.
            data = FlagDataSet.From(WireJson.ReadDataSync(body));
        }
        catch (JsonException ex)
        {
            return new PollResult(PollOutcome.Invalid, 200, ex.Message);
        }

        if (cursor == 0 && !data.IsFull)
        {
            return new PollResult(PollOutcome.Invalid, 200, "a patch in reply to a request for the full data set");
        }

        stopping.ThrowIfCancellationRequested();
        var applying = _time.GetTimestamp();
        updates.Apply(data);
        if (_metrics is not null)
        {
            var applied = _time.GetTimestamp();
            _metrics.RecordDataSync(FlagDataSourceNames.Polling, data.IsFull, _time.GetElapsedTime(applying, applied), _time.GetElapsedTime(received, applied));
        }

        if (data.IsFull)
        {
            _requireFull = false;
        }

        updates.UpdateStatus(FeatureFlagsState.Ready);
        return new PollResult(PollOutcome.Committed, 200, null);
    }

    private static bool IsBlank(in ReadOnlySequence<byte> body)
    {
        // The usual unchanged answer is an empty body: known from the length, without enumerating the segments.
        if (body.IsEmpty)
        {
            return true;
        }

        foreach (var segment in body)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r\n"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }
}
