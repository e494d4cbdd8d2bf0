using System.Buffers;
using System.Text.Json;
using FeatureFlags.DataSystem;
using FeatureFlags.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Cache.Internal;

/// <summary>
/// The last-known-good cache file (<see cref="FeatureFlagsOptions.CacheFile"/>), the built-in
/// <see cref="IPersistentFlagStore"/>: keeps the wire entities the live source committed (a full data set replaces them,
/// a patch upserts by version), writes them as one <c>full</c> data-sync message stamped with the environment's
/// identity, debounced through the <see cref="TimeProvider"/> on a timer thread and atomically (a new owner-only
/// temporary file, flushed, then renamed: <see cref="SafeFile.WriteAtomically"/>); and loads that file on a
/// cold start, refusing a file of another environment (or one without an identity). The file carries no confirmation
/// time, so the first sync after a cold start from it is always a full one.
/// </summary>
internal sealed partial class FileFlagStore : IPersistentFlagStore, IDisposable
{
    /// <summary>How long after a data set the file is written (a burst of pushes is written once).</summary>
    internal static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Lock _fileLock = new();
    private readonly string _path;
    private readonly int _maxFileSize;
    private readonly TimeProvider _time;
    private readonly ILogger<FileFlagStore> _logger;
    private readonly Dictionary<string, FlagDto> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SegmentDto> _segments = new(StringComparer.Ordinal);
    private string? _environmentId;
    private ITimer? _timer;
    private bool _pending;

    public FileFlagStore(IOptions<FeatureFlagsOptions> options, TimeProvider time, ILogger<FileFlagStore> logger)
    {
        _maxFileSize = options.Value.MaxFileSize;
        _path = options.Value.CacheFile ?? throw new InvalidOperationException("FeatureFlags:CacheFile is not set.");
        _time = time;
        _logger = logger;
    }

    public override string ToString() => _path;

    public ValueTask<PersistedFlagData?> LoadAsync(string environmentId, CancellationToken cancellationToken)
    {
        SafeFile.DeleteStaleTemporaryFiles(_path);
        if (!File.Exists(_path))
        {
            return ValueTask.FromResult<PersistedFlagData?>(null);
        }

        try
        {
            // Read into pooled segments and parsed from them: a multi-megabyte file costs no array of its size.
            using var buffer = new PooledMessageBuffer();
            var content = SafeFile.ReadInto(_path, _maxFileSize, buffer);
            var stamped = ReadEnvironment(content);
            if (!string.Equals(stamped, environmentId, StringComparison.Ordinal))
            {
                LogOtherEnvironment(_path, stamped is null ? "it carries no environment identity (written by an older version or by hand)" : "it was written for another environment (the secret changed)");
                return ValueTask.FromResult<PersistedFlagData?>(null);
            }

            var payload = WireJson.ReadDataSync(content);
            payload.EventType = "full";
            lock (_lock)
            {
                _environmentId = environmentId;
                Record(payload);
            }

            var data = FlagDataSet.From(payload);
            LogLoaded(_path, data.FlagCount + data.SegmentCount);
            // No confirmation time: the file is written by one process for itself, possibly long ago, so the next sync
            // always asks for everything (a full resync reconciles deletions made while the app was down).
            return ValueTask.FromResult<PersistedFlagData?>(new PersistedFlagData(data));
        }
        catch (JsonException ex)
        {
            LogUnusable(_path, LogText.Escape($"line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {ex.Message}"));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not a regular file, too large or unreadable: the cache is ignored.
            LogUnusable(_path, LogText.Escape(ex.Message));
        }

        return ValueTask.FromResult<PersistedFlagData?>(null);
    }

    public void Save(string environmentId, FlagDataSet data)
    {
        lock (_lock)
        {
            if (!string.Equals(_environmentId, environmentId, StringComparison.Ordinal))
            {
                _environmentId = environmentId;
                _flags.Clear();
                _segments.Clear();
            }

            Record(data.Payload);
            _pending = true;
            _timer ??= _time.CreateTimer(static state => ((FileFlagStore)state!).Write(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(WriteDelay, Timeout.InfiniteTimeSpan);
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        bool pending;
        lock (_lock)
        {
            pending = _pending;
        }

        if (pending)
        {
            Write();
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>The <c>environment</c> property of the file's top-level object, or null.</summary>
    private static string? ReadEnvironment(in ReadOnlySequence<byte> json)
        => WireJson.TryReadTopLevelString(json, "environment"u8, out var environment) ? environment : null;

    private void Record(DataSyncPayloadDto payload)
    {
        if (string.Equals(payload.EventType, "full", StringComparison.OrdinalIgnoreCase))
        {
            _flags.Clear();
            _segments.Clear();
        }

        foreach (var flag in payload.FeatureFlags?.Items ?? [])
        {
            if (flag.Key is { } key && (!_flags.TryGetValue(key, out var existing) || existing.UpdatedAt < flag.UpdatedAt))
            {
                _flags[key] = flag;
            }
        }

        foreach (var segment in payload.Segments?.Items ?? [])
        {
            if (segment.Id is { } id && (!_segments.TryGetValue(id, out var existing) || existing.UpdatedAt < segment.UpdatedAt))
            {
                _segments[id] = segment;
            }
        }
    }

    private void Write()
    {
        // One writer at a time. The snapshot of the entities is taken under the state lock; the serialisation, straight
        // into the temporary file, and the I/O happen outside it (wire entities are never changed once parsed, so the
        // snapshot's references stay valid).
        lock (_fileLock)
        {
            Snapshot snapshot;
            lock (_lock)
            {
                if (!_pending)
                {
                    return;
                }

                _pending = false;
                var flags = new TolerantList<FlagDto>();
                flags.Items.AddRange(_flags.Values);
                var segments = new TolerantList<SegmentDto>();
                segments.Items.AddRange(_segments.Values);
                snapshot = new Snapshot(_environmentId!, new DataSyncPayloadDto { EventType = "full", FeatureFlags = flags, Segments = segments });
            }

            try
            {
                var length = SafeFile.WriteAtomically(_path, snapshot, static (stream, s) => WriteMessage(stream, s));
                LogWritten(_path, length);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // On a timer thread: nothing may escape. The flags in memory are unaffected.
                LogWriteFailed(_path, LogText.Escape(ex.Message));
            }
        }
    }

    /// <summary>
    /// <c>{"messageType":"data-sync","environment":"…","data":{…}}</c>: a full data-sync message with the identity,
    /// serialised in one call into a <see cref="StreamBufferWriter"/>, which hands it to the file 64 KiB at a time, so a
    /// large environment is never held whole in memory as text.
    /// </summary>
    private static void WriteMessage(Stream stream, Snapshot snapshot)
    {
        using var output = new StreamBufferWriter(stream);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("messageType"u8, "data-sync"u8);
            writer.WriteString("environment"u8, snapshot.EnvironmentId);
            writer.WritePropertyName("data"u8);
            JsonSerializer.Serialize(writer, snapshot.Payload, WireJsonContext.Default.DataSyncPayloadDto);
            writer.WriteEndObject();
        }

        output.Flush();
    }

    /// <summary>What one write serialises: the entities recorded when it was taken.</summary>
    private sealed record Snapshot(string EnvironmentId, DataSyncPayloadDto Payload);
}
