using System.Net.Sockets;
using Akka.IO;

namespace ActorEcho.Networking;

/// <summary>
/// Sets SO_REUSEPORT on the listening socket (<c>actor-echo.reuse-port</c>), so that several listening sockets —
/// several ActorEcho processes, or several listeners in one — can bind the same address, and the Linux kernel
/// spreads incoming connections across them (by a hash of the client's address and port). It also lets a new
/// instance bind before the old one has released the port. Every socket bound to the address must set it.
/// Akka.IO 1.5.74's <c>TcpListener</c> applies each bind option's <see cref="BeforeServerSocketBind"/> to the
/// listening socket between creating and binding it.
/// </summary>
public sealed class ReusePortSocketOption : Inet.SocketOption
{
    public static readonly ReusePortSocketOption Instance = new();

    // Linux's values (asm-generic/socket.h); .NET has no SocketOptionName for SO_REUSEPORT.
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private ReusePortSocketOption() { }

    /// <summary>Whether this platform has the option as described (settings refuse it elsewhere).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    public override void BeforeServerSocketBind(Socket socket) =>
        socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
}
