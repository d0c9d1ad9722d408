using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ActorEcho.Tests.Support;

/// <summary>How a client saw its connection end.</summary>
public enum ConnectionEnd
{
    /// <summary>An orderly close: a read returned 0 bytes (the server's FIN).</summary>
    Eof,

    /// <summary>The server reset the connection (RST).</summary>
    Reset,
}

/// <summary>
/// One TCP client over loopback: the specs' only client helper. Every operation takes a
/// <see cref="CancellationToken"/> (see <see cref="Deadline"/>), so that a server that stops answering fails the
/// test by timing out instead of hanging the run.
/// </summary>
public sealed class LoopbackClient : IDisposable
{
    /// <summary>Chunk size of <see cref="SendAsync"/>: small enough that a send blocked by backpressure shows up
    /// as a stalled byte count rather than one huge call that never returns.</summary>
    private const int SendChunkSize = 64 * 1024;

    private LoopbackClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <param name="receiveBufferSize">SO_RCVBUF, set before connecting: a small one makes the server's echo back
    /// up quickly when this client does not read.</param>
    /// <param name="sendBufferSize">SO_SNDBUF. Fixed buffers switch off the kernel's auto-tuning, so how much the
    /// network can hold is known.</param>
    public static async Task<LoopbackClient> ConnectAsync(IPEndPoint server, CancellationToken ct,
        int? receiveBufferSize = null, int? sendBufferSize = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } receive)
            socket.ReceiveBufferSize = receive;
        if (sendBufferSize is { } send)
            socket.SendBufferSize = send;
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

    /// <summary>Sends every byte of <paramref name="data"/>; <paramref name="progress"/>, if given, is raised by
    /// the number of bytes each send accepted.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct, StrongBox<long>? progress = null)
    {
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, SendChunkSize)];
            var sent = await Socket.SendAsync(chunk, SocketFlags.None, ct);
            data = data[sent..];
            if (progress is not null)
                Interlocked.Add(ref progress.Value, sent);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; an early end of stream is an error.</summary>
    public async Task<byte[]> ReceiveExactlyAsync(int count, CancellationToken ct)
    {
        var data = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await Socket.ReceiveAsync(data.AsMemory(filled), SocketFlags.None, ct);
            if (read == 0)
                throw new EndOfStreamException($"the server closed the connection after {filled} of {count} bytes");
            filled += read;
        }
        return data;
    }

    /// <summary>Reads until the server's FIN and returns everything read. A reset surfaces as a SocketException.</summary>
    public async Task<byte[]> ReceiveToEndAsync(CancellationToken ct)
    {
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await Socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
                return received.ToArray();
            received.Write(buffer, 0, read);
        }
    }

    /// <summary>Sends <paramref name="data"/> while reading its echo (both at once, so that a large payload cannot
    /// deadlock on full buffers) and returns what came back; the connection stays open.</summary>
    public async Task<byte[]> EchoAsync(byte[] data, CancellationToken ct)
    {
        var reading = ReceiveExactlyAsync(data.Length, ct);
        await SendAsync(data, ct);
        return await reading;
    }

    /// <summary>The whole half-close exchange: sends <paramref name="data"/> while reading, shuts down the send
    /// side, and returns what was read up to the server's FIN.</summary>
    public async Task<byte[]> EchoWithHalfCloseAsync(byte[] data, CancellationToken ct)
    {
        var reading = ReceiveToEndAsync(ct);
        await SendAsync(data, ct);
        ShutdownSend();
        return await reading;
    }

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

    /// <summary>Deterministic pseudo-random bytes: a different <paramref name="seed"/> gives each client its own
    /// data, so bytes echoed to the wrong client or out of order cannot pass for the right ones.</summary>
    public static byte[] RandomBytes(int count, int seed)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }
}
