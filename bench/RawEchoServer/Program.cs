// The raw-socket echo server that ActorEcho is measured against: an async accept loop over
// System.Net.Sockets, one task and one 64 KiB buffer per connection, ReceiveAsync/SendAsync.
// Usage: RawEchoServer [ADDRESS]   (default 127.0.0.1:0; prints "Listening on <ip>:<port>")
using System.Net;
using System.Net.Sockets;

var endpoint = IPEndPoint.Parse(args.Length > 0 ? args[0] : "127.0.0.1:0");
using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(endpoint);
listener.Listen(1024);
Console.WriteLine($"Listening on {listener.LocalEndPoint}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

try
{
    while (true)
    {
        var client = await listener.AcceptAsync(stop.Token);
        client.NoDelay = true;
        _ = EchoAsync(client);
    }
}
catch (OperationCanceledException)
{
}

static async Task EchoAsync(Socket client)
{
    using (client)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The client went away; its connection is all this task had.
        }
    }
}
