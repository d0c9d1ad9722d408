using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>Client-side datagram helpers; every wait takes a token, so a lost echo fails a spec instead of hanging it.</summary>
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

    public static byte[] RandomBytes(int count, int seed)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static CancellationTokenSource Deadline(int seconds) => new(TimeSpan.FromSeconds(seconds));
}

/// <summary>A fact skipped, with the reason shown, where the IPv6 loopback cannot carry UDP.</summary>
public sealed class UdpIPv6FactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (!Socket.OSSupportsIPv6)
            return "the OS does not support IPv6";
        try
        {
            using var socket = UdpTestSockets.Client(AddressFamily.InterNetworkV6);
            return null;
        }
        catch (SocketException e)
        {
            return $"cannot bind udp [::1]: {e.Message}";
        }
    });

    public UdpIPv6FactAttribute()
    {
        if (Unavailable.Value is { } reason)
            Skip = reason;
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
