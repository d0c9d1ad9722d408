using System.Diagnostics;
using System.Net.Sockets;
using System.Net;

namespace ActorEcho.Tests.Server;

/// <summary>What a churn run did: cycles completed, cycles that failed (with the first failure), and its speed.</summary>
public sealed record ChurnResult(int Cycles, int Failures, string? FirstFailure, TimeSpan Elapsed)
{
    public double CyclesPerSecond => Cycles / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Connection churn: many short-lived clients, each connects, echoes a small random payload, half-closes and
/// waits for the server's FIN. Used by <see cref="ChurnSpec"/> (short) and by <c>bench/soak.sh</c> (long, the same
/// file compiled into a small tool), so it depends on nothing but the BCL.
/// </summary>
public static class ChurnDriver
{
    /// <param name="progress">Called from time to time with the cycles completed so far.</param>
    public static async Task<ChurnResult> RunAsync(IPEndPoint server, int cycles, int concurrency, int payloadSize,
        CancellationToken ct, Action<int>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var next = 0;
        var completed = 0;
        var failures = 0;
        string? firstFailure = null;

        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var payload = new byte[payloadSize];
            var echo = new byte[payloadSize];
            while (Interlocked.Increment(ref next) <= cycles && !ct.IsCancellationRequested)
            {
                random.NextBytes(payload);
                try
                {
                    await OneCycleAsync(server, payload, echo, ct);
                }
                catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
                {
                    if (Interlocked.Increment(ref failures) == 1)
                        firstFailure = $"{e.GetType().Name}: {e.Message}";
                    if (ct.IsCancellationRequested)
                        break;
                    continue;
                }
                var done = Interlocked.Increment(ref completed);
                if (progress is not null && done % 10_000 == 0)
                    progress(done);
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers);
        return new ChurnResult(completed, failures, firstFailure, clock.Elapsed);
    }

    private static async Task OneCycleAsync(IPEndPoint server, byte[] payload, byte[] echo, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server, ct);
        await socket.SendAsync(payload, SocketFlags.None, ct);
        var filled = 0;
        while (filled < echo.Length)
        {
            var read = await socket.ReceiveAsync(echo.AsMemory(filled), SocketFlags.None, ct);
            if (read == 0)
                throw new IOException($"server closed after {filled} of {echo.Length} echo bytes");
            filled += read;
        }
        if (!payload.AsSpan().SequenceEqual(echo))
            throw new IOException("echo differs from what was sent");
        socket.Shutdown(SocketShutdown.Send);
        if (await socket.ReceiveAsync(echo, SocketFlags.None, ct) != 0)
            throw new IOException("server sent bytes after the echo instead of its FIN");
    }

    /// <summary>Open file descriptors of this process (sockets included); Linux only, <c>null</c> elsewhere.</summary>
    public static int? OpenFileDescriptors() =>
        OperatingSystem.IsLinux() ? Directory.GetFileSystemEntries("/proc/self/fd").Length : null;
}
