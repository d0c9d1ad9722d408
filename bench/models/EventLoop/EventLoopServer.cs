using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Models;

/// <summary>
/// The lesson's iterative server: one thread serves every client. All sockets are non-blocking; the thread sleeps
/// in <see cref="Socket.Select"/> until some of them are readable (on Linux .NET implements Select with poll(2):
/// level-triggered, and every call passes and scans the whole list of sockets, where mio's epoll registers each
/// socket once and returns only the ready ones). For each readable client it reads once and writes the bytes
/// straight back.
/// <para>The shortcut, kept on purpose: like the lesson ("for simplicity (and perhaps laziness)") it never asks for
/// writable readiness. When the client's socket cannot take the whole echo, <c>Send</c> takes part of it and
/// reports <see cref="SocketError.WouldBlock"/>; the rest is lost, and the lesson's code treats the error by
/// dropping the client. A client that stops reading therefore loses data and is disconnected.
/// <see cref="EventLoopWritableServer"/> in bench/models/EventLoopWritable is the fix.</para>
/// </summary>
public sealed class EventLoopServer : IEchoModel
{
    /// <summary>One read buffer for all clients: only one client is ever being served at a time.</summary>
    public const int ReadSize = 64 * 1024;

    /// <summary>How long Select may sleep before the loop checks whether Dispose asked it to stop.</summary>
    private const int SelectTimeoutMicroseconds = 100_000;

    /// <summary>Most connections accepted in one turn of the loop, so a burst of connects does not starve the
    /// clients already connected.</summary>
    private const int AcceptsPerTurn = 256;

    private sealed class Client(Socket socket, EndPoint address)
    {
        public Socket Socket { get; } = socket;
        public EndPoint Address { get; } = address;
    }

    private readonly Socket _listener;
    private readonly TextWriter _log;
    private readonly Thread _thread;

    /// <summary>The table of clients. mio reports a Token with each event and the lesson keeps a
    /// HashMap&lt;Token, Client&gt;; Select hands back the ready Socket objects themselves, so the socket is the
    /// token here.</summary>
    private readonly Dictionary<Socket, Client> _clients = [];

    private volatile bool _stopping;

    private EventLoopServer(Socket listener, TextWriter log)
    {
        _listener = listener;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = "event-loop" };
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public static EventLoopServer Start(IPEndPoint endpoint, TextWriter log)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(ModelMain.Backlog);
            listener.Blocking = false;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new EventLoopServer(listener, log);
        server._thread.Start();
        return server;
    }

    private void Loop()
    {
        var buffer = new byte[ReadSize];
        var readable = new List<Socket>();
        try
        {
            while (!_stopping)
            {
                // Select removes from the list every socket that is not ready, so the list is built again each
                // turn: the listener and every client, readable or not. That is the O(clients) cost per wake-up
                // that epoll (mio, .NET's own async sockets) avoids.
                readable.Clear();
                readable.Add(_listener);
                readable.AddRange(_clients.Keys);
                Socket.Select(readable, null, null, SelectTimeoutMicroseconds);

                foreach (var socket in readable)
                {
                    if (socket == _listener)
                        AcceptReady();
                    else
                        Echo(_clients[socket], buffer);
                }
            }
        }
        finally
        {
            foreach (var client in _clients.Values)
                client.Socket.Dispose();
            _clients.Clear();
            _listener.Dispose();
        }
    }

    private void AcceptReady()
    {
        for (var accepted = 0; accepted < AcceptsPerTurn; accepted++)
        {
            Socket socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (SocketException e)
            {
                // WouldBlock: the queue is empty after all (the client gave up); anything else: that client only.
                if (e.SocketErrorCode != SocketError.WouldBlock)
                    _log.WriteLine($"Error accepting: {e.SocketErrorCode}");
                return;
            }
            socket.Blocking = false;
            socket.NoDelay = true; // as ActorEcho and the other models: compare the models, not Nagle's algorithm
            var address = socket.RemoteEndPoint!;
            _log.WriteLine($"Accepting connection from {address}");
            _clients.Add(socket, new Client(socket, address));

            // More connections waiting? Poll with a zero timeout answers without blocking.
            if (!_listener.Poll(0, SelectMode.SelectRead))
                return;
        }
    }

    private void Echo(Client client, byte[] buffer)
    {
        var read = client.Socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
            return; // readiness is a hint: nothing to read after all
        if (error != SocketError.Success)
        {
            _log.WriteLine($"Error reading from {client.Address}: {error}");
            Drop(client);
            return;
        }
        if (read == 0)
        {
            _log.WriteLine($"Client {client.Address} closed connection");
            Drop(client);
            return;
        }

        // The shortcut: write and hope. A full socket buffer makes Send take what fits and report WouldBlock;
        // the rest of the echo is gone, and the client is dropped as the lesson drops it on any write error.
        client.Socket.Send(buffer, 0, read, SocketFlags.None, out error);
        if (error != SocketError.Success)
        {
            _log.WriteLine($"Error writing to client {client.Address}: {error}");
            Drop(client);
        }
    }

    private void Drop(Client client)
    {
        _clients.Remove(client.Socket);
        client.Socket.Dispose();
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
    }
}
