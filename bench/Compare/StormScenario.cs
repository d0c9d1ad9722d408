using System.Diagnostics;
using System.Net.Sockets;

namespace ActorEcho.Compare;

/// <summary>
/// A reconnect storm: every client connects at the same instant to a freshly started server (as clients do after
/// a restart or a balancer failover) and each echoes one message. Measures the time until every connection was
/// established and until every echo came back, and counts the clients that failed (refused, reset, timed out,
/// wrong echo). Unlike idle-10000 (512 connects in flight at a time), nothing paces the connects: a server whose
/// accept queue overflows makes the kernel drop SYNs, which the clients retry after 1 s, then 3 s.
/// </summary>
public static class StormScenario
{
    private const int MessageSize = 64;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    public static async Task<Measurement> RunAsync(string scenario, ServerProcess server, int connections)
    {
        var sockets = new Socket[connections];
        for (var i = 0; i < sockets.Length; i++)
            sockets[i] = new Socket(server.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var before = server.ResidentBytes();
        var connectedTicks = new long[connections];
        var errors = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        try
        {
            var clients = new Task[connections];
            for (var i = 0; i < connections; i++)
                clients[i] = ClientAsync(i);
            await Task.WhenAll(clients).ConfigureAwait(false);
            var allEchoed = clock.Elapsed;
            var after = server.ResidentBytes();
            return new Measurement
            {
                Scenario = scenario,
                Server = server.Name,
                Seconds = allEchoed.TotalSeconds,
                ConnectedSeconds = connectedTicks.Max() / (double)Stopwatch.Frequency,
                ConnectionsPerSecond = connections / allEchoed.TotalSeconds,
                BytesPerConnection = Math.Max(0, after - before) / (double)connections,
                Echoing = connections - errors,
                ClientErrors = errors,
                FirstError = firstError,
            };
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }

        async Task ClientAsync(int index)
        {
            // Yield first, so that the loop above issues every connect before any client's continuation runs.
            await Task.Yield();
            var socket = sockets[index];
            try
            {
                using var timeout = new CancellationTokenSource(ClientTimeout);
                await socket.ConnectAsync(server.Endpoint, timeout.Token).ConfigureAwait(false);
                connectedTicks[index] = clock.ElapsedTicks;
                var message = Message(index);
                await socket.SendAsync(message, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                var echo = new byte[MessageSize];
                var received = 0;
                while (received < MessageSize)
                {
                    var read = await socket.ReceiveAsync(echo.AsMemory(received), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                        throw new IOException("closed before its echo");
                    received += read;
                }
                if (!echo.AsSpan().SequenceEqual(message))
                    throw new InvalidDataException("wrong echo");
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException or OperationCanceledException)
            {
                if (Interlocked.Increment(ref errors) == 1)
                    firstError = $"client {index}: {e.GetType().Name}: {e.Message}";
            }
        }
    }

    /// <summary>64 bytes that differ from one client to the next, so a crossed echo is caught.</summary>
    private static byte[] Message(int index)
    {
        var message = new byte[MessageSize];
        for (var i = 0; i < message.Length; i++)
            message[i] = (byte)(index * 31 + i * 7);
        return message;
    }
}
