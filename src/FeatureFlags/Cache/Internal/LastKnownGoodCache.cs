using System.Text.Json;
using FeatureFlags.Internal;
using FeatureFlags.Model.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Cache.Internal;

/// <summary>
/// The last-known-good cache (<see cref="FeatureFlagsOptions.CacheFile"/>): keeps the wire entities the server sent
/// (a full data set replaces them, a patch upserts by version), writes them as one <c>full</c> data-sync message,
/// debounced through the <see cref="TimeProvider"/> on a timer thread and atomically (a new owner-only temporary file,
/// flushed, then renamed: <see cref="SafeFile.WriteAllBytesAtomically"/>);
/// and loads that file on a cold start, before the first connect.
/// </summary>
internal sealed partial class LastKnownGoodCache : IDisposable
{
    /// <summary>How long after a data set the file is written (a burst of pushes is written once).</summary>
    internal static readonly TimeSpan WriteDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Lock _fileLock = new();
    private readonly string? _path;
    private readonly int _maxFileSize;
    private readonly FlagStore _store;
    private readonly StatusProvider _status;
    private readonly TimeProvider _time;
    private readonly ILogger<LastKnownGoodCache> _logger;
    private readonly Dictionary<string, FlagDto> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SegmentDto> _segments = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private bool _pending;
    private bool _started;

    public LastKnownGoodCache(
        IOptions<FeatureFlagsOptions> options, FlagStore store, StatusProvider status, TimeProvider time, ILogger<LastKnownGoodCache> logger)
    {
        _maxFileSize = options.Value.MaxFileSize;
        _path = options.Value.Offline || string.IsNullOrWhiteSpace(options.Value.CacheFile) ? null : options.Value.CacheFile;
        _store = store;
        _status = status;
        _time = time;
        _logger = logger;
    }

    /// <summary>Loads the cache file into the store (if there is one) and starts recording what the server sends.</summary>
    public void Start()
    {
        if (_path is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_started)
            {
                return;
            }

            _started = true;
        }

        SafeFile.DeleteStaleTemporaryFiles(_path);
        if (File.Exists(_path))
        {
            try
            {
                var payload = WireJson.ReadDataSync(SafeFile.ReadAllBytes(_path, _maxFileSize));
                payload.EventType = "full";
                lock (_lock)
                {
                    Record(payload);
                }

                var result = _store.Apply(payload);
                _status.Set(FeatureFlagsState.Interrupted, $"serving cached flags from {_path}");
                LogLoaded(_path, result.Applied);
            }
            catch (JsonException ex)
            {
                LogUnusable(_path, LogText.Escape($"line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {ex.Message}"));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Not a regular file, too large, unreadable, or data the store refused: the cache is ignored.
                LogUnusable(_path, LogText.Escape(ex.Message));
            }
        }

        _store.ServerDataApplied += OnServerDataApplied;
    }

    /// <summary>Writes a pending change now (on shutdown).</summary>
    public void Flush()
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
    }

    public void Dispose()
    {
        _store.ServerDataApplied -= OnServerDataApplied;
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void OnServerDataApplied(DataSyncPayloadDto payload)
    {
        lock (_lock)
        {
            Record(payload);
            _pending = true;
            _timer ??= _time.CreateTimer(static state => ((LastKnownGoodCache)state!).Write(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(WriteDelay, Timeout.InfiniteTimeSpan);
        }
    }

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
        // One writer at a time; the snapshot of the entities is taken under the state lock, the I/O outside it.
        lock (_fileLock)
        {
            byte[] json;
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
                var message = new DataSyncMessageDto
                {
                    MessageType = "data-sync",
                    Data = new DataSyncPayloadDto { EventType = "full", FeatureFlags = flags, Segments = segments },
                };
                json = JsonSerializer.SerializeToUtf8Bytes(message, WireJsonContext.Default.DataSyncMessageDto);
            }

            try
            {
                SafeFile.WriteAllBytesAtomically(_path!, json);
                LogWritten(_path!, json.Length);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // On a timer thread: nothing may escape. The flags in memory are unaffected.
                LogWriteFailed(_path!, LogText.Escape(ex.Message));
            }
        }
    }
}
