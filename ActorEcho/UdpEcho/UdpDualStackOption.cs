using System.Net;
using System.Net.Sockets;
using Akka.IO;

namespace ActorEcho.UdpEcho;

/// <summary>The UDP counterpart of <see cref="Hosting.DualStackSocketOption"/>: a datagram socket bound to
/// <c>[::]</c> serves IPv4 too (IPv4 sources then appear as IPv4-mapped IPv6 addresses).</summary>
public sealed class UdpDualStackOption : Inet.SocketOption
{
    public static readonly UdpDualStackOption Instance = new();

    private UdpDualStackOption() { }

    public override void BeforeDatagramBind(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            socket.DualMode = true;
    }

    public static bool AppliesTo(IPEndPoint endpoint) => endpoint.Address.Equals(IPAddress.IPv6Any);
}
