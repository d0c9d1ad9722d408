using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Models;

/// <summary>
/// The lesson's event loop (see bench/models/EventLoop) without its shortcut. Whatever a client's socket does not
/// take at once is kept in that client's output buffer, and the loop asks <see cref="Socket.Select"/> for the
/// socket's writability until the buffer is empty. The buffer is bounded: a client whose buffer holds
/// <see cref="OutputLimit"/> bytes or more is not read until it has drained, so its own TCP window pushes back on
/// it, and nobody else waits.
/// </summary>
public sealed class EventLoopWritableServer : IEchoModel
{
    /// <summary>One read buffer for all clients: only one client is ever being served at a time.</summary>
    public const int ReadSize = 64 * 1024;

    /// <summary>A client whose output buffer holds this much is not read: one read may add up to
    /// <see cref="ReadSize"/> on top, so no buffer exceeds <c>OutputLimit + ReadSize</c>.</summary>
    public const int OutputLimit = 64 * 1024;

    private const int SelectTimeoutMicroseconds = 100_000;
    private const int AcceptsPerTurn = 256;

    /// <summary>What the loop keeps per client: the lesson's struct plus the bytes still to send and whether the
    /// client has closed its side.</summary>
    private sealed class Client(Socket socket, EndPoint address)
    {
        public Socket Socket { get; } = socket;
        public EndPoint Address { get; } = address;

        /// <summary>Rented only while bytes wait, returned when they are sent: an idle client holds none.</summary>
        public byte[]? Output;
        public int OutputStart;
        public int OutputCount;
        public bool PeerClosed;
    }

    private readonly Socket _listener;
    private readonly TextWriter _log;
    private readonly Thread _thread;
    private readonly Dictionary<Socket, Client> _clients = [];
    private volatile bool _stopping;
    private int _peakBufferedBytes;

    private EventLoopWritableServer(Socket listener, TextWriter log)
    {
        _listener = listener;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = "event-loop" };
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    /// <summary>The most bytes any one client's output buffer has held: never above
    /// <c>OutputLimit + ReadSize</c>.</summary>
    public int PeakBufferedBytes => Volatile.Read(ref _peakBufferedBytes);

    public static EventLoopWritableServer Start(IPEndPoint endpoint, TextWriter log)
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
        var server = new EventLoopWritableServer(listener, log);
        server._thread.Start();
        return server;
    }

    private void Loop()
    {
        var buffer = new byte[ReadSize];
        var readable = new List<Socket>();
        var writable = new List<Socket>();
        try
        {
            while (!_stopping)
            {
                // Ask to read only from clients with room in their output buffer (and not yet closed: a closed
                // side stays readable forever); ask for writability only where bytes wait.
                readable.Clear();
                writable.Clear();
                readable.Add(_listener);
                foreach (var client in _clients.Values)
                {
                    if (!client.PeerClosed && client.OutputCount < OutputLimit)
                        readable.Add(client.Socket);
                    if (client.OutputCount > 0)
                        writable.Add(client.Socket);
                }
                Socket.Select(readable, writable, null, SelectTimeoutMicroseconds);

                // Writes first: they make room, and a client's new bytes must go out after its older ones.
                foreach (var socket in writable)
                {
                    if (_clients.TryGetValue(socket, out var client))
                        Flush(client);
                }
                foreach (var socket in readable)
                {
                    if (socket == _listener)
                        AcceptReady();
                    else if (_clients.TryGetValue(socket, out var client))
                        Read(client, buffer);
                }
            }
        }
        finally
        {
            foreach (var client in _clients.Values.ToList())
                Close(client);
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
                if (e.SocketErrorCode != SocketError.WouldBlock)
                    _log.WriteLine($"Error accepting: {e.SocketErrorCode}");
                return;
            }
            socket.Blocking = false;
            socket.NoDelay = true;
            var address = socket.RemoteEndPoint!;
            _log.WriteLine($"Accepting connection from {address}");
            _clients.Add(socket, new Client(socket, address));
            if (!_listener.Poll(0, SelectMode.SelectRead))
                return;
        }
    }

    private void Read(Client client, byte[] buffer)
    {
        var read = client.Socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
            return;
        if (error != SocketError.Success)
        {
            _log.WriteLine($"Error reading from {client.Address}: {error}");
            Close(client);
            return;
        }
        if (read == 0)
        {
            // The client has sent everything; finish its echo, then close.
            client.PeerClosed = true;
            if (client.OutputCount == 0)
                Close(client);
            return;
        }

        var data = buffer.AsSpan(0, read);
        if (client.OutputCount == 0)
        {
            // Nothing queued ahead of these bytes: offer them to the socket straight away.
            var sent = client.Socket.Send(data, SocketFlags.None, out error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                _log.WriteLine($"Error writing to client {client.Address}: {error}");
                Close(client);
                return;
            }
            data = data[sent..];
        }
        if (!data.IsEmpty)
            Keep(client, data);
    }

    /// <summary>Appends to the client's output buffer what its socket did not take.</summary>
    private void Keep(Client client, ReadOnlySpan<byte> data)
    {
        var needed = client.OutputCount + data.Length;
        if (client.Output is null || client.OutputStart + needed > client.Output.Length)
        {
            var output = client.Output is { } old && needed <= old.Length ? old : ArrayPool<byte>.Shared.Rent(needed);
            if (client.Output is not null)
            {
                Buffer.BlockCopy(client.Output, client.OutputStart, output, 0, client.OutputCount);
                if (output != client.Output)
                    ArrayPool<byte>.Shared.Return(client.Output);
            }
            client.Output = output;
            client.OutputStart = 0;
        }
        data.CopyTo(client.Output.AsSpan(client.OutputStart + client.OutputCount));
        client.OutputCount = needed;
        if (needed > _peakBufferedBytes)
            Volatile.Write(ref _peakBufferedBytes, needed);
    }

    /// <summary>The socket is writable: send what waits, and close a client that had closed once it is all sent.</summary>
    private void Flush(Client client)
    {
        var sent = client.Socket.Send(client.Output.AsSpan(client.OutputStart, client.OutputCount), SocketFlags.None, out var error);
        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            _log.WriteLine($"Error writing to client {client.Address}: {error}");
            Close(client);
            return;
        }
        client.OutputStart += sent;
        client.OutputCount -= sent;
        if (client.OutputCount > 0)
            return;
        ArrayPool<byte>.Shared.Return(client.Output!);
        client.Output = null;
        client.OutputStart = 0;
        if (client.PeerClosed)
            Close(client);
    }

    private void Close(Client client)
    {
        _clients.Remove(client.Socket);
        client.Socket.Dispose(); // every byte is in the kernel: close sends them, then the FIN
        if (client.Output is { } output)
        {
            ArrayPool<byte>.Shared.Return(output);
            client.Output = null;
            client.OutputCount = 0;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
    }
}
