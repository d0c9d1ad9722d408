using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Models;

/// <summary>
/// The lesson's first server: a blocking accept, one read of at most <see cref="ReadSize"/> bytes, the echo, then
/// close, and only then the next client. While it waits in <c>Receive</c> for a client that sends nothing,
/// nobody else is served: the others' connections complete in the kernel's accept queue and wait there.
/// </summary>
public sealed class OneAtATimeServer : IEchoModel
{
    /// <summary>The lesson's 160-byte buffer: a longer message is cut to its first read.</summary>
    public const int ReadSize = 160;

    private readonly Socket _listener;
    private readonly TextWriter _log;
    private readonly Thread _thread;
    private volatile Socket? _client;

    private OneAtATimeServer(Socket listener, TextWriter log)
    {
        _listener = listener;
        _log = log;
        _thread = new Thread(Serve) { IsBackground = true, Name = "one-at-a-time" };
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public static OneAtATimeServer Start(IPEndPoint endpoint, TextWriter log)
    {
        // The passive socket: it only accepts. Each accepted connection is a new, active socket.
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(ModelMain.Backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new OneAtATimeServer(listener, log);
        server._thread.Start();
        return server;
    }

    private void Serve()
    {
        var buffer = new byte[ReadSize];
        while (true)
        {
            Socket client;
            try
            {
                client = _listener.Accept(); // blocks until a client has connected
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the listener was closed: Dispose
            }

            using (client)
            {
                _client = client;
                _log.WriteLine($"Accepting connection from {client.RemoteEndPoint}");
                try
                {
                    // Blocks until this client sends something (or closes): everyone else waits meanwhile.
                    var read = client.Receive(buffer);
                    var written = client.Send(buffer, 0, read, SocketFlags.None);
                    _log.WriteLine($"Wrote {written} bytes");
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // The lesson's `?` would end the whole server here; one client's reset is no reason to.
                    _log.WriteLine($"Error with client: {e.Message}");
                }
                _client = null;
                // Leaving the block closes the socket. Bytes the client sent past the first read are still unread:
                // Linux then answers with a reset (RST) rather than a FIN.
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _client?.Dispose(); // unblocks a Receive waiting on a silent client
        _thread.Join();
    }
}
