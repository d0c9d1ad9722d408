using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;

namespace ActorEcho.LoadEngine;

/// <summary>
/// The UDP bench: <c>sockets</c> connected datagram sockets, each in a request/response loop (send one datagram,
/// wait for its echo or for the loss timeout, repeat) until the clock stops them. Every datagram carries its
/// socket and sequence number and bytes derived from both, so every echoed byte is checked: an echo that differs
/// is a mismatch and ends the run; an echo that comes after its datagram was counted lost is "late" (checked,
/// not counted as echoed). A port-unreachable error (nothing listening) ends the run as a network error.
/// </summary>
public static class UdpBenchRunner
{
    /// <summary>Socket number (4 bytes) and sequence number (8 bytes) at the start of every datagram.</summary>
    public const int HeaderSize = 12;

    /// <summary>The largest UDP payload (IPv4): the largest datagram the bench sends.</summary>
    public const int MaxDatagramSize = 65_507;

    /// <summary>How long a socket waits for an echo before it counts its datagram lost, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultLossTimeout = TimeSpan.FromSeconds(1);

    public static async Task<UdpBenchResult> RunAsync(IPEndPoint server, string target, int sockets, int size,
        TimeSpan duration, TimeSpan warmup, TimeSpan lossTimeout, CancellationToken interrupt = default)
    {
        if (size is < HeaderSize or > MaxDatagramSize)
            throw new ArgumentOutOfRangeException(nameof(size), $"a UDP bench datagram must be {HeaderSize} to {MaxDatagramSize} bytes");
        DescriptorBudget.EnsureRoomFor(sockets);
        var started = DateTimeOffset.UtcNow;
        IReadOnlyList<ThroughputSample> throughput = [];
        using var latency = new LatencyRecorder();
        var clock = BenchClock.StartingNow(warmup, duration);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var counters = new Counters[sockets];
        var running = new Task[sockets];
        var opened = new List<Socket>();
        try
        {
            for (var i = 0; i < sockets; i++)
            {
                var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                opened.Add(socket);
                await socket.ConnectAsync(server, interrupt).ConfigureAwait(false);
                counters[i] = new Counters();
                var id = i;
                running[i] = Task.Run(() => RunSocketAsync(socket, id, size, clock, lossTimeout, latency, counters[id], stop.Token));
            }

            var all = Task.WhenAll(running);
            var end = Task.Delay(warmup + duration, interrupt);
            var sampler = new ThroughputSampler(() =>
            {
                long echoes = 0;
                foreach (var c in counters)
                    echoes += Volatile.Read(ref c.AllEchoed);
                return (echoes, echoes * size);
            }, clock.MeasureStart);
            Task first;
            await using (sampler.ConfigureAwait(false))
            {
                first = await Task.WhenAny(all, end).ConfigureAwait(false);
                throughput = await sampler.StopAsync().ConfigureAwait(false);
            }
            if (interrupt.IsCancellationRequested)
                clock.EndMeasurementAt(Stopwatch.GetTimestamp());
            clock.RequestStop();
            if (first == all || all.IsFaulted)
                await all.ConfigureAwait(false); // a failure: rethrow it
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await all.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        catch (SocketException e)
        {
            throw EchoFailureException.Network($"udp {Dialer.Describe(server)}: {Describe(e)}");
        }
        finally
        {
            foreach (var socket in opened)
                socket.Dispose();
        }

        var measured = clock.MeasuredSpan.TotalSeconds;
        long sent = 0, echoed = 0, lost = 0, late = 0;
        foreach (var c in counters)
        {
            sent += c.Sent;
            echoed += c.Echoed;
            lost += c.Lost;
            late += c.Late;
        }
        var histogram = latency.Merge();
        return new UdpBenchResult
        {
            Target = target,
            Sockets = sockets,
            DatagramSize = size,
            DurationSeconds = measured,
            WarmupSeconds = warmup.TotalSeconds,
            LossTimeoutSeconds = lossTimeout.TotalSeconds,
            Sent = sent,
            Echoed = echoed,
            Lost = lost,
            Late = late,
            LossPercent = sent == 0 ? 0 : 100.0 * lost / sent,
            EchoesPerSecond = measured > 0 ? echoed / measured : 0,
            EchoMegabytesPerSecond = measured > 0 ? echoed * (double)size / measured / 1e6 : 0,
            LatencyMicroseconds = LatencyDistribution.Summarise(histogram),
            LatencyPercentiles = LatencyDistribution.Percentiles(histogram),
            Address = Dialer.Describe(server),
            StartedAt = started,
            Throughput = throughput,
            Interrupted = interrupt.IsCancellationRequested,
        };
    }

    private sealed class Counters
    {
        public long Sent;
        public long Echoed;
        public long Lost;
        public long Late;

        /// <summary>Echoes received in time, warmup included (for the throughput over the run).</summary>
        public long AllEchoed;
    }

    private static async Task RunSocketAsync(Socket socket, int id, int size, BenchClock clock, TimeSpan lossTimeout,
        LatencyRecorder latency, Counters counters, CancellationToken stop)
    {
        var datagram = new byte[size];
        var expected = new byte[size];
        var buffer = new byte[size + 1];
        var lostBelow = 0L; // sequence numbers below this were counted lost (or echoed)
        for (long sequence = 0; !clock.StopRequested; sequence++)
        {
            Fill(datagram, id, sequence);
            var start = Stopwatch.GetTimestamp();
            var measured = clock.IsMeasured(start);
            await socket.SendAsync(datagram, SocketFlags.None, stop).ConfigureAwait(false);
            if (measured)
                counters.Sent++;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
            wait.CancelAfter(lossTimeout);
            while (true)
            {
                int received;
                try
                {
                    received = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    if (measured)
                        counters.Lost++;
                    break;
                }
                var echo = buffer.AsSpan(0, received);
                var echoSequence = received >= HeaderSize ? BinaryPrimitives.ReadInt64LittleEndian(echo[4..]) : -1;
                if (received != size || BinaryPrimitives.ReadInt32LittleEndian(echo) != id || echoSequence < 0 || echoSequence > sequence)
                    throw EchoFailureException.Mismatch($"socket {id}: a {received}-byte datagram came back that is not the echo of any datagram sent");
                Fill(expected, id, echoSequence);
                if (!echo.SequenceEqual(expected))
                    throw EchoFailureException.Mismatch(
                        $"socket {id}: the echo of datagram {echoSequence} differs at byte {echo.CommonPrefixLength(expected)}");
                if (echoSequence < sequence || echoSequence < lostBelow)
                {
                    if (measured)
                        counters.Late++;
                    continue;
                }
                Volatile.Write(ref counters.AllEchoed, counters.AllEchoed + 1);
                if (measured)
                {
                    counters.Echoed++;
                    latency.Record(start, Stopwatch.GetTimestamp());
                }
                break;
            }
            lostBelow = sequence + 1;
        }
    }

    /// <summary>Socket number, sequence number, then bytes that depend on both and on the position.</summary>
    private static void Fill(byte[] datagram, int id, long sequence)
    {
        BinaryPrimitives.WriteInt32LittleEndian(datagram, id);
        BinaryPrimitives.WriteInt64LittleEndian(datagram.AsSpan(4), sequence);
        var seed = (uint)(id * 2654435761u) ^ (uint)sequence * 40503u;
        for (var i = HeaderSize; i < datagram.Length; i++)
        {
            seed = seed * 1103515245u + 12345u;
            datagram[i] = (byte)(seed >> 16);
        }
    }

    private static string Describe(SocketException e) => e.SocketErrorCode == SocketError.ConnectionRefused
        ? "port unreachable (nothing listens for UDP there)"
        : Dialer.Describe(e);
}
