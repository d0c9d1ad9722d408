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
    /// <param name="from">Local address to connect from (127.0.0.2, say: Linux routes all of 127/8 to lo), for
    /// the specs of per-source limits; the kernel's choice by default.</param>
    public static async Task<LoopbackClient> ConnectAsync(IPEndPoint server, CancellationToken ct,
        int? receiveBufferSize = null, int? sendBufferSize = null, IPAddress? from = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
            socket.Bind(new IPEndPoint(from, 0));
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

    /// <summary>Reads until the server's FIN and returns everything read. A reset fails (a SocketException), unless
    /// a send on this socket got the ECONNRESET first: Linux then reports end of stream here.</summary>
    public async Task<byte[]> ReceiveToEndAsync(CancellationToken ct) => Finished(await ReceiveUntilClosedAsync(ct));

    /// <summary>Reads until the connection ends, by FIN or by reset; returns how it ended and everything read
    /// before. For servers that may end a connection with a reset, and specs that say which.</summary>
    public async Task<(ConnectionEnd End, byte[] Bytes)> ReceiveUntilClosedAsync(CancellationToken ct)
    {
        using var received = new MemoryStream();
        var (end, _) = await ReadUntilEndAsync(received, ct);
        return (end, received.ToArray());
    }

    /// <summary>Sends <paramref name="data"/> while reading its echo (both at once, so that a large payload cannot
    /// deadlock on full buffers) and returns what came back; the connection stays open.</summary>
    public async Task<byte[]> EchoAsync(byte[] data, CancellationToken ct)
    {
        var reading = ReceiveExactlyAsync(data.Length, ct);
        await SendAsync(data, ct);
        return await reading;
    }

    /// <summary>One round trip of <paramref name="length"/> random bytes made from <paramref name="seed"/>,
    /// checked; the connection stays open.</summary>
    public async Task AssertEchoesAsync(int seed, CancellationToken ct, int length = 1000)
    {
        var data = RandomBytes(length, seed);
        Assert.Equal(data, await EchoAsync(data, ct));
    }

    /// <summary>Sends <paramref name="data"/>, half-closes, and checks that exactly <paramref name="data"/> comes
    /// back, then the server's FIN.</summary>
    public async Task AssertHalfCloseEchoAsync(byte[] data, CancellationToken ct)
    {
        await SendAsync(data, ct);
        ShutdownSend();
        Assert.Equal(data, await ReceiveExactlyAsync(data.Length, ct));
        Assert.Equal((ConnectionEnd.Eof, 0L), await ReadToEndAsync(ct));
    }

    /// <summary>A fresh client connects and gets the echo of one message: the server is serving.</summary>
    public static async Task AssertServesAFreshClientAsync(IPEndPoint server, CancellationToken ct)
    {
        using var client = await ConnectAsync(server, ct);
        await client.AssertEchoesAsync(seed: 99, ct, length: 64);
    }

    /// <summary>The whole half-close exchange: sends <paramref name="data"/> while reading, shuts down the send
    /// side, and returns what was read up to the server's FIN. A reset fails (a SocketException).</summary>
    public async Task<byte[]> EchoWithHalfCloseAsync(byte[] data, CancellationToken ct) =>
        Finished(await EchoUntilClosedAsync(data, ct));

    /// <summary>The half-close exchange with a server that may reset: sends <paramref name="data"/> while reading,
    /// shuts down the send side (if the connection is still there), and returns how the connection ended and what
    /// was read before.</summary>
    public async Task<(ConnectionEnd End, byte[] Bytes)> EchoUntilClosedAsync(byte[] data, CancellationToken ct)
    {
        var reading = ReceiveUntilClosedAsync(ct);
        await SendAsync(data, ct);
        try
        {
            ShutdownSend();
        }
        catch (SocketException)
        {
            // The server has already reset the connection; the read reports it.
        }
        return await reading;
    }

    /// <summary>Reads (and discards) until the connection ends; returns how it ended and the bytes read first.</summary>
    public Task<(ConnectionEnd End, long BytesBefore)> ReadToEndAsync(CancellationToken ct) => ReadUntilEndAsync(null, ct);

    private async Task<(ConnectionEnd End, long BytesBefore)> ReadUntilEndAsync(Stream? keep, CancellationToken ct)
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
                keep?.Write(buffer, 0, read);
                total += read;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return (ConnectionEnd.Reset, total);
        }
    }

    /// <summary>The bytes of a connection that ended with FIN; a reset throws, as the socket would have.</summary>
    private static byte[] Finished((ConnectionEnd End, byte[] Bytes) result) => result.End == ConnectionEnd.Eof
        ? result.Bytes
        : throw new SocketException((int)SocketError.ConnectionReset);

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
