using System.Buffers;
using System.Globalization;
using FeatureFlags.Sync.Internal;
using Microsoft.Win32.SafeHandles;

namespace FeatureFlags.Internal;

/// <summary>
/// Reads and writes the SDK's own files (the bootstrap file, the last-known-good cache) defensively: only regular files
/// (a symbolic link to one is fine) are read, never more than a size limit; a file is written to a new, uniquely named
/// temporary file (created exclusively, so a planted link fails; owner-only on Unix), flushed to disk and renamed over
/// the target.
/// </summary>
internal static class SafeFile
{
    /// <summary>A temporary file is named <c>.&lt;name&gt;.&lt;random&gt;.tmp</c>, next to the file it replaces.</summary>
    private const string TemporarySuffix = ".tmp";

    /// <summary>
    /// Reads the file at <paramref name="path"/>, refusing anything but a regular file of at most
    /// <paramref name="maxSize"/> bytes, into the pooled segments of <paramref name="buffer"/> (emptied first) rather
    /// than one array of the file's size: a multi-megabyte file costs no large-object-heap allocation. Returns the
    /// content, valid until <paramref name="buffer"/> is reset or disposed.
    /// </summary>
    /// <exception cref="IOException">
    /// The file is missing, not a regular file (a directory, a device, a FIFO, a socket: the operating system reports
    /// them as empty) or larger than <paramref name="maxSize"/>, or reading failed.
    /// </exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static ReadOnlySequence<byte> ReadInto(string path, int maxSize, PooledMessageBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.Reset();
        using var handle = OpenRegularFile(path, maxSize);

        // Read to the end, whatever the length measured before (the file may have been swapped or grown since), and stop
        // one segment past the limit at most.
        while (true)
        {
            var read = RandomAccess.Read(handle, buffer.GetMemory().Span, buffer.Length);
            if (read == 0)
            {
                return buffer.GetSequence();
            }

            buffer.Advance(read);
            if (buffer.Length > maxSize)
            {
                throw TooLarge(path, maxSize);
            }
        }
    }

    /// <summary>
    /// Opens the regular file at <paramref name="path"/> (through links) for reading, refusing anything else and a file
    /// measured larger than <paramref name="maxSize"/>.
    /// </summary>
    private static SafeFileHandle OpenRegularFile(string path, int maxSize)
    {
        var info = new FileInfo(path);

        // Follow links to the file itself: a link's own length is the length of its target's name.
        if (info.LinkTarget is not null)
        {
            info = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo
                ?? throw new IOException($"'{path}' is a link to a directory, not a file.");
            info.Refresh();
        }

        if (!info.Exists)
        {
            throw new FileNotFoundException(
                Directory.Exists(info.FullName) ? $"'{path}' is a directory, not a file." : $"'{path}' does not exist.",
                path);
        }

        // Devices, FIFOs and sockets report a length of 0; reading one could hang (a FIFO without a writer) or never
        // end (/dev/zero). An empty regular file has no flags either.
        var length = info.Length;
        if (length == 0)
        {
            throw new IOException($"'{path}' is empty or not a regular file (a device, FIFO or socket is refused).");
        }

        if (length > maxSize)
        {
            throw TooLarge(path, maxSize);
        }

        return File.OpenHandle(info.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
    }

    /// <summary>
    /// Writes to <paramref name="path"/> atomically what <paramref name="write"/> writes to the stream it is given: a new
    /// temporary file next to it (a unique name, created exclusively so an existing file or link there makes the write
    /// fail instead of being followed; read-write for the owner only on Unix), flushed to disk, then renamed over
    /// <paramref name="path"/> (which replaces a link at <paramref name="path"/> rather than writing through it). The
    /// content goes straight into the temporary file, so a large document is never held whole in memory. The temporary
    /// file is deleted when anything fails, <paramref name="write"/> included. Returns the file's length.
    /// </summary>
    public static long WriteAtomically<TState>(string path, TState state, Action<Stream, TState> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var temporary = CreateTemporary(path);
        write(temporary.Stream, state);
        return temporary.Commit();
    }

    private static TemporaryFile CreateTemporary(string path)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, TemporaryPrefix(full) + Path.GetRandomFileName() + TemporarySuffix);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new TemporaryFile(full, temporary, new FileStream(temporary, options));
    }

    /// <summary>
    /// A temporary file next to <c>Target</c>, created exclusively: <see cref="Commit"/> flushes it to disk and renames it
    /// over the target; disposing it without a commit (or after a failed one) deletes it.
    /// </summary>
    private sealed class TemporaryFile(string target, string path, FileStream stream) : IDisposable
    {
        private bool _committed;

        public FileStream Stream { get; } = stream;

        public long Commit()
        {
            Stream.Flush(flushToDisk: true);
            var length = Stream.Length;
            Stream.Dispose();
            File.Move(path, target, overwrite: true);
            _committed = true;
            return length;
        }

        public void Dispose()
        {
            Stream.Dispose();
            if (!_committed)
            {
                TryDelete(path);
            }
        }
    }

    /// <summary>
    /// Deletes temporary files a crashed write left next to <paramref name="path"/> (and the fixed-name
    /// <c>&lt;path&gt;.tmp</c> of earlier versions). A link is deleted, never what it points to.
    /// </summary>
    public static void DeleteStaleTemporaryFiles(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            return;
        }

        TryDelete(full + TemporarySuffix);
        try
        {
            foreach (var stale in Directory.EnumerateFiles(directory, TemporaryPrefix(full) + "*" + TemporarySuffix))
            {
                TryDelete(stale);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a directory that cannot be listed is reported when the cache is read or written.
        }
    }

    private static string TemporaryPrefix(string fullPath) => "." + Path.GetFileName(fullPath) + ".";

    private static IOException TooLarge(string path, int maxSize)
        => new(string.Create(CultureInfo.InvariantCulture, $"'{path}' is larger than FeatureFlags:MaxFileSize ({maxSize} bytes)."));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temporary file that cannot be deleted is retried at the next start.
        }
    }
}
