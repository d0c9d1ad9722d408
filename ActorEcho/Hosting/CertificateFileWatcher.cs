namespace ActorEcho.Hosting;

/// <summary>
/// Watches the directories of the TLS files in force (<c>tls.watch-certificates</c>) and calls back once a change
/// has settled. A directory rather than a file: the kubelet updates a Secret by swapping the <c>..data</c> symlink
/// beside its files, certbot re-points <c>live/</c> links, and careful tools rename a new file over the old one; none
/// of these writes the file itself. Settling waits until the directory has been quiet for <see cref="Settle"/>, so
/// that a certificate and its key written one after the other are read together.
/// </summary>
public sealed class CertificateFileWatcher : IDisposable
{
    /// <summary>How long the directories must be quiet after a change before the files are read.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _settled;

    /// <param name="files">The files to watch, as configured (relative to the working directory, or absolute).</param>
    /// <param name="changed">Called on a timer thread once a change has settled; must return at once.</param>
    /// <exception cref="IOException">the system refuses another watch (inotify's per-user limit).</exception>
    public CertificateFileWatcher(IEnumerable<string> files, Action changed)
    {
        _settled = new Timer(_ => changed());
        Directories = files.Select(file => Path.GetDirectoryName(Path.GetFullPath(file))!).Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            foreach (var directory in Directories)
                _watchers.Add(Watch(directory));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The directories watched.</summary>
    public IReadOnlyList<string> Directories { get; }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
            watcher.Dispose();
        _settled.Dispose();
    }

    private FileSystemWatcher Watch(string directory)
    {
        var watcher = new FileSystemWatcher(directory)
        {
            // Every kind of change: a symlink swapped or a file renamed over is a name change, an edit in place a write.
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                           | NotifyFilters.Size | NotifyFilters.CreationTime | NotifyFilters.Attributes,
            IncludeSubdirectories = false,
        };
        watcher.Changed += (_, _) => Restart();
        watcher.Created += (_, _) => Restart();
        watcher.Deleted += (_, _) => Restart();
        watcher.Renamed += (_, _) => Restart();
        // Events were lost (the kernel's queue overflowed): something changed, so read the files once it settles.
        watcher.Error += (_, _) => Restart();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    /// <summary>(Re)starts the settle timer: the callback runs once, <see cref="Settle"/> after the last event.</summary>
    private void Restart()
    {
        try
        {
            _settled.Change(Settle, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // An event raced Dispose: nobody is listening any more.
        }
    }
}
