using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.Support;

/// <summary>A fact that is skipped, with the reason shown, where the IPv6 loopback cannot be bound: a machine
/// without IPv6 reports a skip, not a pass.</summary>
public sealed class IPv6LoopbackFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public IPv6LoopbackFactAttribute()
    {
        if (Unavailable.Value is { } reason)
            Skip = reason;
    }

    private static string? Probe()
    {
        if (!Socket.OSSupportsIPv6)
            return "the OS does not support IPv6";
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return null;
        }
        catch (SocketException e)
        {
            return $"cannot bind [::1]: {e.Message}";
        }
    }
}
