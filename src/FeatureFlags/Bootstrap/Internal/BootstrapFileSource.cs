using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FeatureFlags.Internal;
using FeatureFlags.Store.Internal;
using FeatureFlags.Sync.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeatureFlags.Bootstrap.Internal;

/// <summary>
/// Loads <see cref="FeatureFlagsOptions.BootstrapFile"/> into the store and, in offline mode, watches it and reloads it
/// (debounced through the <see cref="TimeProvider"/>) when it changes. At start, a file that cannot be read or parsed
/// fails start-up (there are no good flags to keep yet); on a later reload it keeps the last good flags, logs the error
/// with its line and column and sets <see cref="FeatureFlagsStatus.BootstrapFileError"/> until a good edit.
/// </summary>
internal sealed partial class BootstrapFileSource : IDisposable
{
    /// <summary>How long the file must stay quiet after a change before it is read (editors write in several steps).</summary>
    internal static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private const int MaxIoRetries = 5;

    private readonly Lock _lock = new();
    private readonly FeatureFlagsOptions _options;
    private readonly FlagStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<BootstrapFileSource> _logger;
    private FileSystemWatcher? _watcher;
    private ITimer? _timer;
    private long _version;
    private int _ioRetries;
    private bool _disposed;

    public BootstrapFileSource(
        IOptions<FeatureFlagsOptions> options, FlagStore store, TimeProvider time, ILogger<BootstrapFileSource> logger)
    {
        _options = options.Value;
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after the file was applied to the store (at start and after each good edit); the data system sets the status.</summary>
    public event Action? Applied;

    /// <summary>Raised with why an edit was not applied, or with <see langword="null"/> after a good edit.</summary>
    public event Action<string?>? FileErrorChanged;

    /// <summary>Gets whether a bootstrap file was loaded into the store at least once.</summary>
    public bool Loaded { get; private set; }

    /// <summary>Loads the file (if one is configured); in offline mode, updates the status and starts watching it.</summary>
    /// <exception cref="InvalidOperationException">
    /// The configured file cannot be read or is invalid: start-up fails naming the file (and, for invalid JSON, the line
    /// and column, 1-based), as it does when the file is missing.
    /// </exception>
    public void Start()
    {
        var path = _options.BootstrapFile;
        if (string.IsNullOrWhiteSpace(path))
        {
            if (_options.Offline)
            {
                LogOfflineWithoutFile();
            }

            return;
        }

        // At start there are no last good flags to keep: a broken file fails start like a missing one.
        if (!TryLoad(out var error, out var exception))
        {
            throw new InvalidOperationException(error + " Fix the file or remove FeatureFlags:BootstrapFile.", exception);
        }

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

    /// <summary>
    /// Reads and applies the file again (a live reload); returns whether it was applied. A file that cannot be read or
    /// parsed keeps the last good flags, is logged (5001, 5002) and shows in
    /// <see cref="FeatureFlagsStatus.BootstrapFileError"/> until a good edit replaces it.
    /// </summary>
    public bool Load()
    {
        var path = _options.BootstrapFile!;
        lock (_lock)
        {
            if (TryLoad(out var error, out var exception))
            {
                return true;
            }

            if (exception is JsonException)
            {
                LogInvalidFile(path, LogText.Escape(error));
            }
            else
            {
                LogUnreadableFile(path, LogText.Escape(exception!.Message));

                // An editor may still hold the file: try again a few times after the quiet period.
                if (_timer is not null && !_disposed && _ioRetries++ < MaxIoRetries)
                {
                    _timer.Change(Debounce, Timeout.InfiniteTimeSpan);
                }
            }

            FileErrorChanged?.Invoke(error);
            return false;
        }
    }

    /// <summary>
    /// Describes an invalid file: the line and column (1-based, the column in characters) where the reader stopped,
    /// when known, and the reader's message without its own 0-based positions.
    /// </summary>
    internal static string Describe(string path, JsonException exception, ReadOnlySpan<byte> utf8)
    {
        var message = WithoutReaderPosition(exception.Message);
        if (exception.LineNumber is not { } line)
        {
            return $"Bootstrap file '{path}' is invalid: {message}";
        }

        var column = Column(utf8, line, exception.BytePositionInLine ?? 0);
        return string.Create(CultureInfo.InvariantCulture, $"Bootstrap file '{path}' is invalid at line {line + 1}, column {column}: {message}");
    }

    private bool TryLoad(out string error, out Exception? exception)
    {
        var path = _options.BootstrapFile!;
        lock (_lock)
        {
            // Read into pooled segments and parsed from them: a multi-megabyte file costs no array of its size.
            using var buffer = new PooledMessageBuffer();
            var content = ReadOnlySequence<byte>.Empty;
            try
            {
                content = SafeFile.ReadInto(path, _options.MaxFileSize, buffer);
                _version = Math.Max(_version + 1, _time.GetUtcNow().ToUnixTimeMilliseconds());
                var payload = BootstrapParser.Parse(content, _version);
                var result = _store.Apply(payload);
                Loaded = true;
                _ioRetries = 0;
                LogLoaded(path, result.Applied, result.ChangedFlagKeys.Count);
                Applied?.Invoke();
                FileErrorChanged?.Invoke(null);
                error = string.Empty;
                exception = null;
                return true;
            }
            catch (JsonException ex)
            {
                error = Describe(path, ex, content.ToArray()); // contiguous on this error path only, to find the column
                exception = ex;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Not a regular file, too large, unreadable, or anything else that went wrong: at start it fails
                // start-up, on a reload the last good flags are kept.
                error = $"Bootstrap file '{path}' could not be read: {ex.Message}";
                exception = ex;
            }

            return false;
        }
    }

    /// <summary>The 1-based column, in characters, of byte <paramref name="bytePosition"/> of 0-based line <paramref name="line"/>.</summary>
    private static long Column(ReadOnlySpan<byte> utf8, long line, long bytePosition)
    {
        var start = 0;
        for (long i = 0; i < line; i++)
        {
            var next = utf8[start..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return bytePosition + 1;
            }

            start += next + 1;
        }

        var length = (int)Math.Clamp(bytePosition, 0, utf8.Length - start);
        return Encoding.UTF8.GetCharCount(utf8.Slice(start, length)) + 1;
    }

    /// <summary>Drops System.Text.Json's " LineNumber: n | BytePositionInLine: n." (0-based) from a message.</summary>
    private static string WithoutReaderPosition(string message)
    {
        var at = message.IndexOf("LineNumber: ", StringComparison.Ordinal);
        if (at < 0)
        {
            return message;
        }

        var kept = message[..at].TrimEnd().TrimEnd('|').TrimEnd();
        return kept.Length == 0 ? message : kept.EndsWith('.') ? kept : kept + ".";
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
