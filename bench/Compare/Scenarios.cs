using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ActorEcho.LoadEngine;

namespace ActorEcho.Compare;

/// <summary>What one scenario measured against one server in one round. Absent figures are null.</summary>
public sealed record Measurement
{
    public required string Scenario { get; init; }
    public required string Server { get; init; }
    public double? MessagesPerSecond { get; init; }
    public double? MegabytesPerSecond { get; init; }
    public double? P50Micros { get; init; }
    public double? P99Micros { get; init; }
    public double? P999Micros { get; init; }
    public double? ConnectionsPerSecond { get; init; }
    public double? BytesPerConnection { get; init; }

    /// <summary>Scenario-specific facts: time to all accepted, connections still echoing, peak RSS.</summary>
    public double? Seconds { get; init; }
    public int? Echoing { get; init; }
    public double? PeakBytes { get; init; }
    public double? SentBytesPerConnection { get; init; }

    /// <summary>Server CPU per echoed message (warmup included in both time and messages), user and kernel.</summary>
    public double? UserMicrosPerMessage { get; init; }
    public double? KernelMicrosPerMessage { get; init; }

    /// <summary>Storms: time until the last client connected, clients that failed, and the first failure.</summary>
    public double? ConnectedSeconds { get; init; }
    public int? ClientErrors { get; init; }
    public string? FirstError { get; init; }

    /// <summary>Storms: the whole cycle (connect, echo, hold, echo, close), the server's CPU for it (user + kernel,
    /// its closes included) and the client's own CPU (to show the client was not the limit).</summary>
    public double? TotalSeconds { get; init; }
    public double? ServerCpuSeconds { get; init; }
    public double? ClientCpuSeconds { get; init; }

    /// <summary>Wrong bytes seen by the client (echoload checks every byte).</summary>
    public int? Mismatches { get; init; }

    /// <summary>Floods (slow-reader-flood): the idle server's RSS, each flood, the ping-pong client that ran
    /// through both, the server's out-of-memory lines, and its memory cgroup's figures where it ran in one.</summary>
    public double? BytesBefore { get; init; }
    public IReadOnlyList<Flood>? Floods { get; init; }
    public double? PingMessages { get; init; }
    public double? PingP99Micros { get; init; }
    public double? PingMaxMicros { get; init; }
    public int? PingErrors { get; init; }
    public int? OutOfMemoryLines { get; init; }
    public long? CgroupMaxUsageBytes { get; init; }
    public long? CgroupFailCount { get; init; }

    /// <summary>The machine's 1-minute load average when the measurement ended.</summary>
    public double? LoadAverage { get; init; }
}

/// <summary>The loads. Pingpong and stream run echoload (bench/echoload: C, epoll, one process, every byte checked),
/// a client that outruns every server here; the idle and slow-reader loads are here, checking bytes against the
/// load engine's pattern.</summary>
public sealed class Scenarios(EchoLoad load, bool quick)
{
    private readonly TimeSpan _warmup = TimeSpan.FromSeconds(quick ? 1 : 2);
    private readonly TimeSpan _duration = TimeSpan.FromSeconds(quick ? 2 : 5);

    public int IdleConnections { get; init; } = 10_000;
    public TimeSpan IdleHold { get; init; } = TimeSpan.FromSeconds(5);
    public int SlowReaders { get; init; } = 10;
    public TimeSpan SlowReaderSending { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The client spins instead of sleeping, so that the server's sends never pay to wake it (bench/echoload).</summary>
    public Task<Measurement> PingPongAsync(string scenario, ServerProcess server, int connections) =>
        RunEchoLoadAsync(scenario, server, connections, ["--mode=pingpong", "--size=64", "--busy-poll"]);

    /// <summary>Each connection keeps <paramref name="window"/> bytes in flight, written at most <paramref name="chunk"/> at a time.</summary>
    public Task<Measurement> StreamAsync(string scenario, ServerProcess server, int connections, int window, int chunk) =>
        RunEchoLoadAsync(scenario, server, connections,
            ["--mode=stream", $"--window={window.ToString(CultureInfo.InvariantCulture)}", $"--chunk={chunk.ToString(CultureInfo.InvariantCulture)}"]);

    private async Task<Measurement> RunEchoLoadAsync(string scenario, ServerProcess server, int connections, string[] mode)
    {
        var before = server.ResidentBytes();
        var cpuBefore = server.CpuTime();
        EchoLoadResult result;
        long peak;
        await using (var sampler = new PeakResidentSampler(server))
        {
            result = await load.RunAsync(server,
                [.. mode, $"--conns={connections.ToString(CultureInfo.InvariantCulture)}", $"--warmup={Seconds(_warmup)}", $"--secs={Seconds(_duration)}"],
                _warmup + _duration + TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            peak = sampler.PeakBytes;
        }
        var cpuAfter = server.CpuTime();

        // Every message echoed, warmup included, to match the CPU time's span (pingpong only).
        var messages = result["msgs_total"];
        return new Measurement
        {
            Scenario = scenario,
            Server = server.Name,
            UserMicrosPerMessage = messages is > 0 ? (cpuAfter.User - cpuBefore.User).TotalMicroseconds / messages : null,
            KernelMicrosPerMessage = messages is > 0 ? (cpuAfter.Kernel - cpuBefore.Kernel).TotalMicroseconds / messages : null,
            MessagesPerSecond = result["msgs_per_s"],
            MegabytesPerSecond = result["MBps"],
            P50Micros = result["p50_us"],
            P99Micros = result["p99_us"],
            P999Micros = result["p999_us"],
            BytesPerConnection = Math.Max(0, peak - before) / (double)connections,
            ClientErrors = result.Count("errors") + result.Count("connfail"),
            Mismatches = result.Count("mismatches"),
        };
    }

    /// <summary>
    /// Opens <see cref="IdleConnections"/> connections as fast as the client can (each echoes one message, so
    /// "accepted" means served), measures the time until all have echoed and the server's RSS growth per
    /// connection, holds them idle, then checks that every one still echoes.
    /// </summary>
    public async Task<Measurement> IdleAsync(string scenario, ServerProcess server)
    {
        const int MessageSize = 16;
        const int ConnectParallelism = 512; // well under the servers' listen backlog of 1024
        var pattern = EchoPattern.Shared;

        // The first connections JIT the server's accept and echo paths; that code is not per-connection memory.
        var warm = new Socket?[32];
        await ForEachAsync(warm.Length, 32, async i => warm[i] = await OpenAndEchoAsync(i, 0).ConfigureAwait(false)).ConfigureAwait(false);
        foreach (var socket in warm)
            socket?.Dispose();
        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        var before = server.ResidentBytes();

        var sockets = new Socket?[IdleConnections];
        try
        {
            var clock = Stopwatch.StartNew();
            await ForEachAsync(sockets.Length, ConnectParallelism,
                async i => sockets[i] = await OpenAndEchoAsync(i, 0).ConfigureAwait(false)).ConfigureAwait(false);
            var allServed = clock.Elapsed;

            // Let the server settle (connection actors finish starting, the thread pool quiesces) before reading RSS.
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            var after = server.ResidentBytes();

            await Task.Delay(IdleHold).ConfigureAwait(false);
            var echoing = 0;
            await ForEachAsync(sockets.Length, ConnectParallelism, async i =>
            {
                try
                {
                    await EchoAsync(sockets[i]!, i, MessageSize).ConfigureAwait(false);
                    Interlocked.Increment(ref echoing);
                }
                catch (Exception e) when (e is SocketException or InvalidDataException or IOException)
                {
                    // Counted as not echoing; the table shows how many did.
                }
            }).ConfigureAwait(false);

            return new Measurement
            {
                Scenario = scenario,
                Server = server.Name,
                ConnectionsPerSecond = IdleConnections / allServed.TotalSeconds,
                BytesPerConnection = Math.Max(0, after - before) / (double)IdleConnections,
                Seconds = allServed.TotalSeconds,
                Echoing = echoing,
            };
        }
        finally
        {
            foreach (var socket in sockets)
                socket?.Dispose();
        }

        async Task<Socket> OpenAndEchoAsync(int connection, long offset)
        {
            var socket = new Socket(server.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await socket.ConnectAsync(server.Endpoint, timeout.Token).ConfigureAwait(false);
                await EchoAsync(socket, connection, offset).ConfigureAwait(false);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        async Task EchoAsync(Socket socket, int connection, long offset)
        {
            var start = EchoPattern.Start(connection);
            await socket.SendAsync(pattern.Slice(start, offset, MessageSize), SocketFlags.None).ConfigureAwait(false);
            var echo = new byte[MessageSize];
            var received = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (received < MessageSize)
            {
                var read = await socket.ReceiveAsync(echo.AsMemory(received), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                    throw new IOException($"connection {connection} closed before its echo");
                received += read;
            }
            if (pattern.FirstMismatch(start, offset, echo) >= 0)
                throw new InvalidDataException($"connection {connection}: wrong echo");
        }
    }

    /// <summary>
    /// <see cref="SlowReaders"/> clients send as fast as the server lets them and read nothing, for
    /// <see cref="SlowReaderSending"/>; the server's peak RSS growth is recorded. Then each half-closes and reads
    /// its whole echo, checked byte for byte: backpressure must lose nothing.
    /// </summary>
    public async Task<Measurement> SlowReaderAsync(string scenario, ServerProcess server)
    {
        const int ChunkSize = 64 * 1024;
        var pattern = EchoPattern.Shared;
        var sockets = new Socket[SlowReaders];
        var sent = new long[SlowReaders];
        try
        {
            for (var i = 0; i < sockets.Length; i++)
            {
                sockets[i] = new Socket(server.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await sockets[i].ConnectAsync(server.Endpoint).ConfigureAwait(false);
                sockets[i].Blocking = false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            var before = server.ResidentBytes();

            long peak;
            await using (var sampler = new PeakResidentSampler(server))
            {
                // Non-blocking sends, round robin, until the deadline: each client pushes until the kernel buffers
                // on both sides are full and the server has stopped reading it.
                var deadline = Stopwatch.StartNew();
                while (deadline.Elapsed < SlowReaderSending)
                {
                    var progressed = false;
                    for (var i = 0; i < sockets.Length; i++)
                    {
                        var chunk = pattern.Slice(EchoPattern.Start(i), sent[i], ChunkSize);
                        var written = sockets[i].Send(chunk.Span, SocketFlags.None, out var error);
                        if (error == SocketError.Success && written > 0)
                        {
                            sent[i] += written;
                            progressed = true;
                        }
                        else if (error is not (SocketError.WouldBlock or SocketError.Success))
                        {
                            throw new IOException($"slow reader {i}: send failed: {error}");
                        }
                    }
                    if (!progressed)
                        await Task.Delay(10).ConfigureAwait(false);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                peak = sampler.PeakBytes;
            }

            // Now read everything back: every byte sent must come back, in order.
            var echoing = 0;
            await Task.WhenAll(Enumerable.Range(0, sockets.Length).Select(async i =>
            {
                sockets[i].Blocking = true;
                sockets[i].Shutdown(SocketShutdown.Send);
                var start = EchoPattern.Start(i);
                var buffer = new byte[ChunkSize];
                long received = 0;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                int read;
                while ((read = await sockets[i].ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    if (received + read > sent[i] || pattern.FirstMismatch(start, received, buffer.AsSpan(0, read)) >= 0)
                        throw new InvalidDataException($"slow reader {i}: wrong echo at byte {received}");
                    received += read;
                }
                if (received != sent[i])
                    throw new InvalidDataException($"slow reader {i}: {received} of {sent[i]} bytes echoed");
                Interlocked.Increment(ref echoing);
            })).ConfigureAwait(false);

            return new Measurement
            {
                Scenario = scenario,
                Server = server.Name,
                MegabytesPerSecond = sent.Sum() / SlowReaderSending.TotalSeconds / 1e6,
                BytesPerConnection = Math.Max(0, peak - before) / (double)SlowReaders,
                PeakBytes = Math.Max(0, peak - before),
                Echoing = echoing,
                SentBytesPerConnection = sent.Average(),
            };
        }
        finally
        {
            foreach (var socket in sockets)
                socket?.Dispose();
        }
    }

    private static async Task ForEachAsync(int count, int parallelism, Func<int, Task> body)
    {
        using var slots = new SemaphoreSlim(parallelism);
        var tasks = new Task[count];
        for (var i = 0; i < count; i++)
        {
            await slots.WaitAsync().ConfigureAwait(false);
            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    await body(index).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            });
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Whole seconds, as echoload takes them.</summary>
    private static string Seconds(TimeSpan duration) => ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
