using System.Runtime.InteropServices;

namespace ActorEcho.Networking;

/// <summary>
/// The process's file descriptors on Linux: the limit it runs with (RLIMIT_NOFILE's soft limit, which the .NET
/// runtime raises to the hard one at start) and how many are open now. Every socket is one, and so is every
/// assembly file the runtime keeps open (two each, measured), so the limit bounds connections and the runtime
/// together (<c>Configuration/DescriptorBound</c>). Elsewhere both are unknown (null) and nothing is checked.
/// </summary>
public static class OpenFiles
{
    /// <summary>RLIMIT_NOFILE on Linux (x64 and arm64 alike).</summary>
    private const int RlimitNofile = 7;

    /// <summary>The soft limit on open descriptors, or null: not Linux, unlimited, or unreadable.</summary>
    public static long? Limit()
    {
        if (!OperatingSystem.IsLinux() || getrlimit(RlimitNofile, out var limit) != 0)
            return null;
        return limit.Current > long.MaxValue ? null : (long)limit.Current;
    }

    /// <summary>Descriptors open now (the entries of <c>/proc/self/fd</c>, less the one the listing itself holds),
    /// or null where that is not readable.</summary>
    public static int? InUse()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            return Math.Max(0, Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() - 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>struct rlimit: two rlim_t (unsigned long) on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out ResourceLimit limit);
}
