using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.Models;

/// <summary>Client-side socket work for the model specs. Every wait is bounded by a token or a timeout.</summary>
internal static class ModelClient
{
    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
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

    /// <summary>Pseudo-random bytes, different per seed.</summary>
    public static byte[] Bytes(int count, int seed)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Sends everything while reading, then half-closes and reads up to the server's FIN (or reset).</summary>
    public static async Task<byte[]> EchoWithHalfCloseAsync(Socket socket, byte[] data, CancellationToken cancellationToken)
    {
        var reading = ReadUntilClosedAsync(socket, cancellationToken);
        await socket.SendAsync(data, SocketFlags.None, cancellationToken);
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The server has already reset the connection; what was read before it is the answer.
        }
        return await reading;
    }

    /// <summary>Reads until the server closes, by FIN or by reset; returns what arrived before.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
                received.Write(buffer, 0, read);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        return received.ToArray();
    }

    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var data = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await socket.ReceiveAsync(data.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
                throw new EndOfStreamException($"the server closed after {filled} of {count} bytes");
            filled += read;
        }
        return data;
    }

    /// <summary>A fresh client sends one message and gets its echo: the server is serving.</summary>
    public static async Task AssertServesAnotherClientAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(endpoint, cancellationToken);
        var message = Bytes(64, seed: 99);
        await socket.SendAsync(message, SocketFlags.None, cancellationToken);
        Assert.Equal(message, await ReadExactlyAsync(socket, message.Length, cancellationToken));
    }
}
