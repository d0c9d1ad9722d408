using System.Globalization;

namespace ActorEcho.Compare;

/// <summary>
/// A cgroup v1 memory cgroup, /sys/fs/cgroup/memory/NAME (run.sh: actorecho-bench-PID), limited to a number of bytes: what a
/// container's memory limit is. Created for one server run (the server starts inside it, see
/// <see cref="ServerProcess.Start"/>) and removed after the server has exited. Needs root and the v1 memory controller.
/// </summary>
public sealed class MemoryCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup/memory";
    private readonly string _path;

    private MemoryCgroup(string path) => _path = path;

    public string ProcsFile => Path.Combine(_path, "cgroup.procs");

    /// <summary>The highest memory use the cgroup saw (memory.max_usage_in_bytes).</summary>
    public long MaxUsageBytes => Read("memory.max_usage_in_bytes");

    /// <summary>How often the cgroup's use hit its limit (memory.failcnt).</summary>
    public long FailCount => Read("memory.failcnt");

    /// <summary>Why no memory cgroup can be made here, or null when one can (tried by making and removing one).</summary>
    public static string? WhyNotPossible(string name, long limitBytes)
    {
        if (!File.Exists(Path.Combine(Root, "memory.limit_in_bytes")))
            return $"no cgroup v1 memory controller at {Root}";
        try
        {
            using var probe = Create(name, limitBytes);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot make a memory cgroup under {Root} (root needed): {e.Message}";
        }
    }

    public static MemoryCgroup Create(string name, long limitBytes)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        var cgroup = new MemoryCgroup(path);
        try
        {
            File.WriteAllText(Path.Combine(path, "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
            return cgroup;
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }
    }

    private long Read(string file) => long.Parse(File.ReadAllText(Path.Combine(_path, file)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Removes the cgroup (rmdir). Call after its processes have exited; the kernel may take a moment to
    /// let go of a process that was just killed, so this retries for a few seconds.</summary>
    public void Dispose()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(_path))
                    Directory.Delete(_path);
                return;
            }
            catch (IOException e)
            {
                if (attempt >= 50)
                {
                    Console.Error.WriteLine($"cannot remove {_path}: {e.Message}");
                    return;
                }
                Thread.Sleep(100);
            }
        }
    }
}
