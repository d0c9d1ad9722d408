using System.Net.Sockets;

namespace ActorEcho.Hosting.Tests;

/// <summary>The few socket reads the hosted specs need.</summary>
internal static class HostedClient
{
    /// <summary>Reads exactly <paramref name="count"/> bytes; fails if the server closes first.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancel)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancel);
            Assert.True(n > 0, $"the server closed after {read} of {count} bytes");
            read += n;
        }
        return buffer;
    }

    /// <summary>Reads until the server's FIN and returns everything read before it.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancel)
    {
        using var received = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel)) > 0)
            received.Write(buffer, 0, n);
        return received.ToArray();
    }
}
