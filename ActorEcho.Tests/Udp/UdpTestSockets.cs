using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>Client-side datagram helpers, beside the kit's TCP <c>LoopbackClient</c>; every wait takes a token
/// (<c>Deadline.After</c>), so a lost echo fails a spec instead of hanging it.</summary>
internal static class UdpTestSockets
{
    public static Socket Client(AddressFamily family, int port = 0)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Receives one datagram; returns its bytes and sender.</summary>
    public static async Task<(byte[] Data, IPEndPoint From)> ReceiveAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[70_000];
        var any = socket.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(IPAddress.Any, 0) : new IPEndPoint(IPAddress.IPv6Any, 0);
        var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
        return (buffer[..result.ReceivedBytes], (IPEndPoint)result.RemoteEndPoint);
    }

    /// <summary>Sends <paramref name="data"/> and returns the next datagram that comes back.</summary>
    public static async Task<byte[]> EchoAsync(Socket socket, IPEndPoint server, byte[] data, CancellationToken cancellationToken)
    {
        await socket.SendToAsync(data, SocketFlags.None, server, cancellationToken);
        var (reply, from) = await ReceiveAsync(socket, cancellationToken);
        Assert.Equal(server, from);
        return reply;
    }
}

/// <summary>A fact skipped, with the reason shown, where a socket cannot be bound to source port 19 (chargen)
/// on the loopback of <paramref name="family"/>: binding a port below 1024 needs root (or CAP_NET_BIND_SERVICE).</summary>
public sealed class UdpPort19FactAttribute : FactAttribute
{
    public UdpPort19FactAttribute(bool ipv6 = false)
    {
        var family = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        try
        {
            using var socket = UdpTestSockets.Client(family, 19);
        }
        catch (SocketException e)
        {
            Skip = $"cannot bind udp port 19 on the {(ipv6 ? "IPv6" : "IPv4")} loopback (needs root or CAP_NET_BIND_SERVICE): {e.Message}";
        }
    }
}
