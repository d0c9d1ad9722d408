using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.Support;

public static class LoopbackPorts
{
    /// <summary>A loopback port that nothing listens on right now (bound, read, released: another process could
    /// take it in between, which on a test machine is rare enough).</summary>
    public static int Free()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
