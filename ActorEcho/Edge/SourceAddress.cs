using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Edge;

/// <summary>Which source addresses may get an echo at all.</summary>
public static class SourceAddress
{
    /// <summary>
    /// The address a source is known by: IPv4 sources of a dual-stack socket arrive IPv4-mapped and are the same
    /// source as when they arrive as plain IPv4.
    /// </summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// False for addresses no datagram can really come from, and that a reply must never go to: unspecified
    /// (0.0.0.0/8, ::), multicast (224.0.0.0/4, ff00::/8), and 240.0.0.0/4 with the broadcast address. Linux drops
    /// most of them as martians already; the check matters because Akka.IO 1.5.74 sends with a synchronous
    /// <c>SendTo</c>, and an error there (a broadcast destination, say) restarts its UDP listener actor on a new
    /// socket: one spoofed datagram must not be able to do that.
    /// </summary>
    public static bool MayReceiveEcho(IPAddress normalized)
    {
        if (normalized.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> bytes = stackalloc byte[4];
            normalized.TryWriteBytes(bytes, out _);
            return bytes[0] is not 0 and < 224;
        }
        return !normalized.Equals(IPAddress.IPv6Any) && !normalized.IsIPv6Multicast;
    }
}
