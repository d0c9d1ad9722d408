using ActorEcho.Diagnostics;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Checks, before a run opens its connections, that the process may open that many more sockets. Running into
/// the open-file limit half-way is worse than a refusal up front: the socket that fails is reported cleanly,
/// but the runtime itself may need a descriptor at that moment (a thread, a library, a timer) and then aborts the
/// process with "Out of memory" instead of the one-line error a user should get.
/// </summary>
public static class DescriptorBudget
{
    /// <summary>Descriptors kept free for the runtime's own needs beyond the sockets (threads, epoll, timers).</summary>
    public const int RuntimeReserve = 64;

    /// <summary>Throws a network <see cref="EchoFailureException"/> when <paramref name="sockets"/> more sockets
    /// would not fit under the soft open-file limit. Where the limit cannot be read (not Linux), nothing is checked
    /// and running out is reported when it happens.</summary>
    public static void EnsureRoomFor(int sockets)
    {
        if (OpenFileLimit() is not { } limit || OpenDescriptors() is not { } open)
            return;
        if (open + sockets + RuntimeReserve <= limit)
            return;
        throw EchoFailureException.Network(
            $"cannot open {sockets} sockets: {open} of the {limit} file descriptors allowed (ulimit -n) are in use " +
            $"and {RuntimeReserve} are kept for the runtime; ask for fewer connections (-c) or raise ulimit -n");
    }

    /// <summary>The soft "Max open files" limit from /proc/self/limits; null where it cannot be read or is unlimited.</summary>
    public static long? OpenFileLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                    continue;
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], out var soft) ? soft : null;
            }
        }
        catch (Exception e) when (FileErrors.IsUnreadable(e))
        {
        }
        return null;
    }

    private static int? OpenDescriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (Exception e) when (FileErrors.IsUnreadable(e))
        {
            return null;
        }
    }
}
