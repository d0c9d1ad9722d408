using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActorEcho.RollingCheck;

/// <summary>
/// Client sessions through the balancer, each checked byte for byte. A short session connects, echoes a message
/// (request, reply), sends a second one, half-closes and reads everything to EOF: what an interactive or
/// request/response client does. A bulk session streams a multi-MB transfer while reading the echo, then
/// half-closes. A session fails if it cannot connect, is reset, ends early, stalls for <see cref="Stall"/>, or
/// any byte comes back wrong.
/// </summary>
internal static class Sessions
{
    public enum Kind { Short, Bulk }

    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

    public static async Task LoopAsync(IPEndPoint target, Kind kind, int bulkBytes, int seed, Tally tally, CancellationToken stop)
    {
        var random = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                // A session that has begun runs to its end (bounded by Stall): stopping the run must not cut it.
                using var stall = new CancellationTokenSource(Stall);
                var (sent, wrong) = kind == Kind.Short
                    ? await ShortAsync(target, random, stall.Token)
                    : await BulkAsync(target, random, bulkBytes, stall.Token);
                tally.Record(kind, sent, wrong, wrong == 0 ? null : $"{kind} session: {wrong} of {sent} bytes wrong");
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or EndOfStreamException)
            {
                tally.Record(kind, 0, 0, $"{kind} session after {clock.ElapsedMilliseconds} ms: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private static async Task<(long Sent, long Wrong)> ShortAsync(IPEndPoint target, Random random, CancellationToken ct)
    {
        using var socket = await ConnectAsync(target, ct);
        var request = Bytes(random, random.Next(1, 4096));
        await SendAsync(socket, request, ct);
        var reply = await ReceiveAsync(socket, request.Length, ct);
        var last = Bytes(random, random.Next(1, 64 * 1024));
        await SendAsync(socket, last, ct);
        socket.Shutdown(SocketShutdown.Send);
        var rest = await ReceiveAsync(socket, int.MaxValue, ct);
        return (request.Length + last.Length, Wrong(request, reply) + Wrong(last, rest));
    }

    private static async Task<(long Sent, long Wrong)> BulkAsync(IPEndPoint target, Random random, int size, CancellationToken ct)
    {
        using var socket = await ConnectAsync(target, ct);
        var data = Bytes(random, size);
        var receiving = ReceiveAsync(socket, int.MaxValue, ct);
        for (var offset = 0; offset < data.Length; offset += 64 * 1024)
            await SendAsync(socket, data.AsMemory(offset, Math.Min(64 * 1024, data.Length - offset)), ct);
        socket.Shutdown(SocketShutdown.Send);
        return (data.Length, Wrong(data, await receiving));
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint target, CancellationToken ct)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
            data = data[await socket.SendAsync(data, SocketFlags.None, ct)..];
    }

    /// <summary>Reads <paramref name="count"/> bytes, or to EOF when fewer come (or for <c>int.MaxValue</c>).</summary>
    private static async Task<byte[]> ReceiveAsync(Socket socket, int count, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (received.Length < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - received.Length)), SocketFlags.None, ct);
            if (read == 0)
                break;
            received.Write(buffer, 0, read);
        }
        return received.ToArray();
    }

    /// <summary>Bytes that differ, plus bytes missing or extra.</summary>
    private static long Wrong(byte[] sent, byte[] received)
    {
        var common = Math.Min(sent.Length, received.Length);
        long wrong = Math.Abs(sent.Length - received.Length);
        for (var i = 0; i < common; i++)
            if (sent[i] != received[i])
                wrong++;
        return wrong;
    }

    private static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
