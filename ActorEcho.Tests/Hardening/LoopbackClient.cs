using System.Net;
using System.Net.Sockets;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Hardening;

/// <summary>How a client saw its connection end.</summary>
public enum ConnectionEnd
{
    /// <summary>An orderly close: a read returned 0 bytes (the server's FIN).</summary>
    Eof,

    /// <summary>The server reset the connection (RST).</summary>
    Reset,
}

/// <summary>
/// One TCP client over loopback, for the hardening specs. Every operation takes a <see cref="CancellationToken"/>,
/// so that a server that stops answering fails the test by timing out instead of hanging the run.
/// </summary>
public sealed class LoopbackClient : IDisposable
{
    private LoopbackClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <param name="receiveBufferSize">SO_RCVBUF, set before connecting: a small one makes the server's echo back
    /// up quickly when this client does not read.</param>
    public static async Task<LoopbackClient> ConnectAsync(IPEndPoint server, CancellationToken ct, int? receiveBufferSize = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
            socket.ReceiveBufferSize = size;
        try
        {
            await socket.ConnectAsync(server, ct);
            return new LoopbackClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => TestSockets.SendAllAsync(Socket, data, ct);

    /// <summary>Reads exactly <paramref name="count"/> bytes; an early end of stream is an error.</summary>
    public Task<byte[]> ReceiveExactlyAsync(int count, CancellationToken ct) => TestSockets.ReadExactlyAsync(Socket, count, ct);

    /// <summary>Sends <paramref name="data"/> while reading its echo (both at once, so that a large payload cannot
    /// deadlock on full buffers) and returns what came back.</summary>
    public Task<byte[]> EchoAsync(byte[] data, CancellationToken ct) => TestSockets.RoundTripAsync(Socket, data, ct);

    /// <summary>Reads (and discards) until the connection ends; returns how it ended and the bytes read first.</summary>
    public async Task<(ConnectionEnd End, long BytesBefore)> ReadToEndAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            while (true)
            {
                var read = await Socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                    return (ConnectionEnd.Eof, total);
                total += read;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return (ConnectionEnd.Reset, total);
        }
    }

    /// <summary>Half-closes: sends FIN, keeps reading possible.</summary>
    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    /// <summary>Closes with an RST instead of a FIN (SO_LINGER with a zero timeout), dropping anything unsent.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    public void Dispose() => Socket.Dispose();

    /// <summary>Deterministic pseudo-random bytes, one stream per seed (see <see cref="TestSockets.RandomBytes"/>).</summary>
    public static byte[] RandomBytes(int count, int seed) => TestSockets.RandomBytes(count, seed);
}
