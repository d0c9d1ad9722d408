// The raw-socket UDP echo that ActorEcho's UDP echo is measured against: one loop of Socket.ReceiveFromAsync and
// SendToAsync over one 64 KiB buffer, no limits, no checks (what a C# user writes without actors; like Akka.IO, it
// has one receive outstanding at a time).
// Usage: RawUdpEchoServer [ADDRESS]   (default 127.0.0.1:0; prints "Listening on udp <ip>:<port>")
using System.Net;
using System.Net.Sockets;

var endpoint = IPEndPoint.Parse(args.Length > 0 ? args[0] : "127.0.0.1:0");
using var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
socket.Bind(endpoint);
Console.WriteLine($"Listening on udp {socket.LocalEndPoint}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

var buffer = new byte[64 * 1024];
EndPoint any = new IPEndPoint(endpoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
try
{
    while (true)
    {
        var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop.Token);
        try
        {
            await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, stop.Token);
        }
        catch (SocketException)
        {
            // A send that fails loses that one echo, as a datagram may be lost anywhere.
        }
    }
}
catch (OperationCanceledException)
{
}
