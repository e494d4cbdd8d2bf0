using System.Text.Json;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Bootstrap.Internal;

/// <summary>
/// Loads <see cref="FeatureFlagsOptions.BootstrapFile"/> into the store and, in offline mode, watches it and reloads it
/// (debounced through the <see cref="TimeProvider"/>) when it changes. A file that cannot be read or parsed keeps the
/// flags the store already has and logs the error with its line and byte position.
/// </summary>
internal sealed partial class BootstrapFileSource : IDisposable
{
    /// <summary>How long the file must stay quiet after a change before it is read (editors write in several steps).</summary>
    internal static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private const int MaxIoRetries = 5;

    private readonly Lock _lock = new();
    private readonly FeatureFlagsOptions _options;
    private readonly FlagStore _store;
    private readonly StatusProvider _status;
    private readonly TimeProvider _time;
    private readonly ILogger<BootstrapFileSource> _logger;
    private FileSystemWatcher? _watcher;
    private ITimer? _timer;
    private long _version;
    private int _ioRetries;
    private bool _disposed;

    public BootstrapFileSource(
        IOptions<FeatureFlagsOptions> options, FlagStore store, StatusProvider status, TimeProvider time, ILogger<BootstrapFileSource> logger)
    {
        _options = options.Value;
        _store = store;
        _status = status;
        _time = time;
        _logger = logger;
    }

    /// <summary>Gets whether a bootstrap file was loaded into the store at least once.</summary>
    public bool Loaded { get; private set; }

    /// <summary>Loads the file (if one is configured); in offline mode, updates the status and starts watching it.</summary>
    public void Start()
    {
        var path = _options.BootstrapFile;
        if (string.IsNullOrWhiteSpace(path))
        {
            if (_options.Offline)
            {
                _status.Set(FeatureFlagsState.Initializing, "Offline mode without FeatureFlags:BootstrapFile: there are no flags to serve.");
                LogOfflineWithoutFile();
            }

            return;
        }

        Load();
        if (!_options.Offline)
        {
            return;
        }

        var full = Path.GetFullPath(path);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.EnableRaisingEvents = true;
        }
    }

    /// <summary>Reads and applies the file now; returns whether it was applied.</summary>
    public bool Load()
    {
        var path = _options.BootstrapFile!;
        lock (_lock)
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                _version = Math.Max(_version + 1, _time.GetUtcNow().ToUnixTimeMilliseconds());
                var payload = BootstrapParser.Parse(bytes, _version);
                var result = _store.Apply(payload);
                Loaded = true;
                _ioRetries = 0;
                LogLoaded(path, result.Applied, result.ChangedFlagKeys.Count);
                if (_options.Offline)
                {
                    _status.Set(FeatureFlagsState.Ready);
                }

                return true;
            }
            catch (JsonException ex)
            {
                var line = (ex.LineNumber ?? 0) + 1;
                var position = (ex.BytePositionInLine ?? 0) + 1;
                LogInvalidFile(path, line, position, ex.Message);
                Fail($"Bootstrap file '{path}' is invalid at line {line}, byte {position}: {ex.Message}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogUnreadableFile(path, ex.Message);

                // An editor may still hold the file: try again a few times after the quiet period.
                if (_timer is not null && !_disposed && _ioRetries++ < MaxIoRetries)
                {
                    _timer.Change(Debounce, Timeout.InfiniteTimeSpan);
                }

                Fail($"Bootstrap file '{path}' could not be read: {ex.Message}");
            }

            return false;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _watcher?.Dispose();
            _watcher = null;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Fail(string error)
    {
        if (_options.Offline)
        {
            // Offline, the status tells whether flags are served: the last good flags keep it Ready.
            _status.Set(Loaded ? FeatureFlagsState.Ready : FeatureFlagsState.Initializing, error);
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            // Each change restarts the quiet period; the file is read once it has settled.
            _timer ??= _time.CreateTimer(static state => ((BootstrapFileSource)state!).OnDebounced(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDebounced()
    {
        if (!_disposed)
        {
            Load();
        }
    }
}
