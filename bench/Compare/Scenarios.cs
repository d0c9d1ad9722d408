using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
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

    /// <summary>The machine's 1-minute load average when the measurement ended.</summary>
    public double? LoadAverage { get; init; }
}

/// <summary>The loads. Pingpong and stream run the product's own <c>bench</c> command (which checks every byte)
/// as a child process; the idle and slow-reader loads are here, checking bytes against the same pattern.</summary>
public sealed class Scenarios(string benchDll, bool quick)
{
    private readonly TimeSpan _warmup = TimeSpan.FromSeconds(quick ? 1 : 2);
    private readonly TimeSpan _duration = TimeSpan.FromSeconds(quick ? 2 : 5);

    public int IdleConnections { get; init; } = 10_000;
    public TimeSpan IdleHold { get; init; } = TimeSpan.FromSeconds(5);
    public int SlowReaders { get; init; } = 10;
    public TimeSpan SlowReaderSending { get; init; } = TimeSpan.FromSeconds(5);

    public Task<Measurement> PingPongAsync(string scenario, ServerProcess server, int connections) =>
        RunBenchAsync(scenario, server, connections, ["--mode", "pingpong", "--size", "64"]);

    public Task<Measurement> StreamAsync(string scenario, ServerProcess server, int connections, int window, string messageSize = "16k") =>
        RunBenchAsync(scenario, server, connections,
            ["--mode", "stream", "--size", messageSize, "--window", window.ToString(CultureInfo.InvariantCulture)]);

    private async Task<Measurement> RunBenchAsync(string scenario, ServerProcess server, int connections, string[] load)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { benchDll, "bench", $"{server.Endpoint}", "--connections", $"{connections}",
                     "--duration", Seconds(_duration), "--warmup", Seconds(_warmup), "--json" }.Concat(load))
            info.ArgumentList.Add(argument);

        var before = server.ResidentBytes();
        var cpuBefore = server.CpuTime();
        string output, errors;
        long peak;
        await using (var sampler = new PeakResidentSampler(server))
        {
            using var bench = Process.Start(info) ?? throw new InvalidOperationException("cannot start bench");
            var reading = bench.StandardOutput.ReadToEndAsync();
            var readingErrors = bench.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(_warmup + _duration + TimeSpan.FromSeconds(60));
            try
            {
                await bench.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                bench.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{scenario} against {server.Name}: bench did not finish in time");
            }
            output = await reading.ConfigureAwait(false);
            errors = await readingErrors.ConfigureAwait(false);
            if (bench.ExitCode != 0)
                throw new InvalidOperationException(
                    $"{scenario} against {server.Name}: bench exited {bench.ExitCode}: {errors.Trim()}");
            peak = sampler.PeakBytes;
        }
        var cpuAfter = server.CpuTime();

        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var latency = root.GetProperty("latencyMicroseconds");
        // Messages over warmup and measurement together, at the measured rate, to match the CPU time's span.
        var messages = root.GetProperty("messagesPerSecond").GetDouble() * (_warmup + _duration).TotalSeconds;
        return new Measurement
        {
            UserMicrosPerMessage = (cpuAfter.User - cpuBefore.User).TotalMicroseconds / messages,
            KernelMicrosPerMessage = (cpuAfter.Kernel - cpuBefore.Kernel).TotalMicroseconds / messages,
            Scenario = scenario,
            Server = server.Name,
            MessagesPerSecond = root.GetProperty("messagesPerSecond").GetDouble(),
            MegabytesPerSecond = root.GetProperty("receivedMegabytesPerSecond").GetDouble(),
            P50Micros = latency.GetProperty("p50").GetDouble(),
            P99Micros = latency.GetProperty("p99").GetDouble(),
            P999Micros = latency.GetProperty("p999").GetDouble(),
            ConnectionsPerSecond = root.GetProperty("connectionsPerSecond").GetDouble(),
            BytesPerConnection = Math.Max(0, peak - before) / (double)connections,
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

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString(CultureInfo.InvariantCulture);
}
