using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Models;

/// <summary>
/// Blocking sockets, one OS thread per client: the accept loop hands each connection to a new thread, which reads
/// and writes it until the client closes. A silent or non-reading client blocks only its own thread. The price is
/// a thread (its stack, its scheduling) and a buffer for every connection, busy or idle.
/// </summary>
public sealed class ThreadPerConnectionServer : IEchoModel
{
    /// <summary>Each thread's read buffer: the same 64 KiB as the async/await model, so the two differ only in
    /// how they wait.</summary>
    public const int BufferSize = 64 * 1024;

    private readonly Socket _listener;
    private readonly TextWriter _log;
    private readonly Thread _acceptThread;
    private readonly ConcurrentDictionary<Socket, byte> _clients = new();

    private ThreadPerConnectionServer(Socket listener, TextWriter log)
    {
        _listener = listener;
        _log = log;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "accept" };
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public static ThreadPerConnectionServer Start(IPEndPoint endpoint, TextWriter log)
    {
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
        var server = new ThreadPerConnectionServer(listener, log);
        server._acceptThread.Start();
        return server;
    }

    private void AcceptLoop()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the listener was closed: Dispose
            }
            client.NoDelay = true; // as ActorEcho and the other models: compare the models, not Nagle's algorithm
            _log.WriteLine($"Accepting connection from {client.RemoteEndPoint}");
            _clients.TryAdd(client, 0);
            // The default stack size (1.5 MiB reserved on Linux; only the pages touched become resident).
            new Thread(() => Serve(client)) { IsBackground = true }.Start();
        }
    }

    private void Serve(Socket client)
    {
        var buffer = new byte[BufferSize];
        try
        {
            int read;
            while ((read = client.Receive(buffer)) > 0)
                client.Send(buffer, 0, read, SocketFlags.None); // a blocking Send returns once every byte is taken
            // The client closed its side and has every byte back: close ours.
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client reset, or Dispose closed the socket: this thread is all the connection had.
        }
        finally
        {
            _clients.TryRemove(client, out _);
            client.Dispose();
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _acceptThread.Join();
        foreach (var client in _clients.Keys)
            client.Dispose(); // unblocks each thread's Receive or Send; the thread then ends
    }
}
