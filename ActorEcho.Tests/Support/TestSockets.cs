using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ActorEcho.Tests.Support;

/// <summary>
/// Client-side socket helpers for the specs that talk to a real listener over loopback. Every operation takes a
/// <see cref="CancellationToken"/> so that a server that stops answering fails the test instead of hanging it.
/// </summary>
internal static class TestSockets
{
    /// <summary>Chunk size of <see cref="SendAllAsync"/>: small enough that a send blocked by backpressure shows
    /// up as a stalled byte count rather than one huge call that never returns.</summary>
    private const int SendChunkSize = 64 * 1024;

    /// <summary>Deterministic pseudo-random bytes: a different <paramref name="seed"/> gives each client its own
    /// data, so bytes echoed to the wrong client or out of order cannot pass for the right ones.</summary>
    public static byte[] RandomBytes(int count, int seed)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken,
        int? bufferSize = null)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (bufferSize is { } size)
        {
            // Fixed buffers switch off the kernel's auto-tuning, so how much the network can hold is known.
            socket.SendBufferSize = size;
            socket.ReceiveBufferSize = size;
        }
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends every byte of <paramref name="data"/>; <paramref name="progress"/>, if given, is raised
    /// by the number of bytes each send accepted.</summary>
    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken,
        StrongBox<long>? progress = null)
    {
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, SendChunkSize)];
            var sent = await socket.SendAsync(chunk, SocketFlags.None, cancellationToken);
            data = data[sent..];
            if (progress is not null)
                Interlocked.Add(ref progress.Value, sent);
        }
    }

    /// <summary>Reads until the peer's FIN and returns everything read. A reset surfaces as a SocketException.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
                return received.ToArray();
            received.Write(buffer, 0, read);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; fails if the peer closes first.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var data = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await socket.ReceiveAsync(data.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
                throw new EndOfStreamException($"the server closed the connection after {filled} of {count} bytes");
            filled += read;
        }
        return data;
    }

    /// <summary>The whole half-close exchange: sends <paramref name="data"/> while reading, shuts down the send
    /// side, and returns what was read up to the server's FIN. Sending and reading run at once because the
    /// server only reads as fast as its echo is read back.</summary>
    public static async Task<byte[]> EchoWithHalfCloseAsync(Socket socket, byte[] data, CancellationToken cancellationToken)
    {
        var reading = ReadToEndAsync(socket, cancellationToken);
        await SendAllAsync(socket, data, cancellationToken);
        socket.Shutdown(SocketShutdown.Send);
        return await reading;
    }

    /// <summary>Sends <paramref name="data"/> and reads back exactly as many bytes, leaving the connection open.</summary>
    public static async Task<byte[]> RoundTripAsync(Socket socket, byte[] data, CancellationToken cancellationToken)
    {
        var reading = ReadExactlyAsync(socket, data.Length, cancellationToken);
        await SendAllAsync(socket, data, cancellationToken);
        return await reading;
    }

    /// <summary>A token that cancels after <paramref name="seconds"/>: the upper bound of one test's socket work.</summary>
    public static CancellationTokenSource Deadline(double seconds) => new(TimeSpan.FromSeconds(seconds));
}
