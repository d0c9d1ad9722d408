using ActorEcho.Diagnostics;

namespace ActorEcho.Networking;

/// <summary>
/// The listening socket's backlog: the kernel's queue of connections that completed the handshake but are not
/// accepted yet. When it is full, Linux drops the SYNs of new clients, which retry only after 1 s and then 3 s;
/// so a reconnect storm (thousands of clients at once, after a restart or a failover) is served in about 0.1 s
/// or in several seconds depending on whether this queue overflows. <c>actor-echo.backlog = max</c> (the
/// default) asks for the largest queue the OS allows.
/// </summary>
public static class ListenBacklog
{
    /// <summary>Linux's cap on every listening socket's backlog (a larger value is silently cut to it).</summary>
    public const string SomaxconnPath = "/proc/sys/net/core/somaxconn";

    /// <summary>
    /// The largest backlog the OS allows: <c>net.core.somaxconn</c> on Linux; elsewhere <see cref="int.MaxValue"/>,
    /// which Windows reads as "as large as allowed" (SOMAXCONN) and macOS/BSD cut to <c>kern.ipc.somaxconn</c>.
    /// </summary>
    public static int OsMaximum() => ReadSomaxconn(SomaxconnPath) ?? int.MaxValue;

    /// <summary>The cap in <paramref name="path"/> (a /proc/sys file), or <c>null</c> where there is none or it
    /// cannot be read.</summary>
    public static int? ReadSomaxconn(string path)
    {
        try
        {
            return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var value) && value > 0
                ? value
                : null;
        }
        catch (Exception e) when (FileErrors.IsUnreadable(e))
        {
            return null;
        }
    }
}
