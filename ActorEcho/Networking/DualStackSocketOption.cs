using System.Net;
using System.Net.Sockets;
using Akka.IO;

namespace ActorEcho.Networking;

/// <summary>
/// Makes a listening socket bound to the IPv6 wildcard (<c>[::]</c>) accept IPv4 clients too, as servers on
/// Linux conventionally do. .NET sets IPV6_V6ONLY on every IPv6 socket unless told otherwise, and Akka.IO
/// creates the socket from the endpoint's address family, so without this option <c>[::]:2000</c> would serve
/// IPv6 clients only.
/// </summary>
public sealed class DualStackSocketOption : Inet.SocketOption
{
    public static readonly DualStackSocketOption Instance = new();

    private DualStackSocketOption() { }

    public override void BeforeServerSocketBind(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            socket.DualMode = true;
    }

    /// <summary>Only the IPv6 wildcard means "every interface"; a specific IPv6 address stays IPv6-only.</summary>
    public static bool AppliesTo(IPEndPoint endpoint) => endpoint.Address.Equals(IPAddress.IPv6Any);
}
