using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>
/// <c>bench --tls ADDRESS</c>: a TLS server's handshake rate and echo rate. Two phases, each <c>--warmup</c> then
/// <c>--duration</c>: a handshake storm (each of <c>--connections</c> workers connects, completes a handshake,
/// echoes one byte, sends close_notify and closes, again and again: handshakes/s), then the echo itself over
/// <c>--connections</c> TLS connections (<c>--mode pingpong</c>: a message of <c>--size</c> bytes and its echo at a
/// time; <c>stream</c>: sending and receiving at once), every byte checked. <c>--ca</c>, <c>--insecure</c>,
/// <c>--cert</c> and <c>--key</c> as for <c>client --tls</c>. The bench command owns the other options.
/// </summary>
internal sealed class TlsBenchCommand
{
    private readonly Option<bool> _tls = new("--tls")
    {
        Description = "Use TLS: measure the handshake rate (a storm of connect + handshake + 1-byte echo + close), then the echo over TLS",
    };

    private readonly Option<string?> _ca = new("--ca") { Description = "TLS: trust only the CA certificates in this PEM file", HelpName = "FILE" };
    private readonly Option<bool> _insecure = new("--insecure", "-k") { Description = "TLS: do not check the server's certificate" };
    private readonly Option<string?> _certificate = new("--cert") { Description = "TLS: client certificate (PEM), with --key", HelpName = "FILE" };
    private readonly Option<string?> _key = new("--key") { Description = "TLS: private key (PEM) of --cert", HelpName = "FILE" };

    public TlsBenchCommand(Command bench)
    {
        foreach (var option in new Option[] { _tls, _ca, _insecure, _certificate, _key })
            bench.Options.Add(option);
    }

    public bool IsRequested(ParseResult result) => result.GetValue(_tls);

    /// <summary>What the bench command's options asked for; nulls take the defaults.</summary>
    public sealed record Request(string Address, BenchMode Mode, int Connections, int Size, TimeSpan? Duration,
        TimeSpan? Warmup, TimeSpan? ConnectTimeout, bool Json, string? ReportPath);

    public async Task<int> RunAsync(ParseResult result, Request request)
    {
        return await BenchInterrupt.RunAsync(async cancellationToken =>
        {
            var endpoint = await TargetAddress.ResolveAsync(request.Address);
            SslClientAuthenticationOptions options;
            try
            {
                options = TlsEchoClient.Options(EndpointParser.Split(request.Address).Host, result.GetValue(_ca),
                    result.GetValue(_insecure), result.GetValue(_certificate), result.GetValue(_key));
            }
            catch (ArgumentException e)
            {
                return ExitCodes.Report(ExitCodes.BadInput, e.Message);
            }
            var started = DateTimeOffset.UtcNow;
            using var latency = new LatencyRecorder();
            var run = new Run(endpoint, options, request.ConnectTimeout ?? BenchOptions.DefaultConnectTimeout, latency, cancellationToken);
            var duration = request.Duration ?? BenchOptions.DefaultDuration;
            var warmup = request.Warmup ?? BenchOptions.DefaultWarmup;
            var (handshakes, _) = await run.MeasureAsync(request.Connections, warmup, duration, run.HandshakeLoopAsync);
            var size = Math.Max(1, request.Size);
            var (echoes, throughput) = await run.MeasureAsync(request.Connections, warmup, duration,
                request.Mode == BenchMode.Stream ? (c, m) => run.StreamLoopAsync(c, m, size) : (c, m) => run.PingPongLoopAsync(c, m, size),
                sample: true);
            var histogram = latency.Merge();
            var report = new TlsBenchResult
            {
                Target = Dialer.Describe(endpoint),
                Mode = request.Mode.Name(),
                Connections = request.Connections,
                Size = size,
                Seconds = duration.TotalSeconds,
                WarmupSeconds = warmup.TotalSeconds,
                HandshakesPerSecond = handshakes.Count / duration.TotalSeconds,
                MessagesPerSecond = echoes.Count / duration.TotalSeconds,
                MegabytesPerSecond = echoes.Bytes / duration.TotalSeconds / 1_000_000,
                Protocol = run.Protocol,
                Address = Dialer.Describe(endpoint),
                StartedAt = started,
                LatencyMicroseconds = histogram.TotalCount > 0 ? LatencyDistribution.Summarise(histogram) : null,
                LatencyPercentiles = LatencyDistribution.Percentiles(histogram),
                Throughput = throughput,
            };
            if (request.ReportPath is { } reportPath)
                HtmlReport.Write(reportPath, "bench --tls " + request.Address.Trim(), [ReportRun.From(report, request.Address.Trim())]);
            if (request.Json)
                report.WriteJson(Console.Out);
            else
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                    tls {report.Target}: {report.Connections} connections, {report.Mode} {report.Size} B, {report.Seconds:0.#} s each phase ({report.Protocol})
                      handshakes  {report.HandshakesPerSecond,12:N0} /s   (connect, handshake, 1-byte echo, close)
                      echo        {report.MessagesPerSecond,12:N0} msg/s  {report.MegabytesPerSecond,9:N2} MB/s each way
                    """));
            return ExitCodes.Ok;
        });
    }

    /// <summary>Counts of one phase's measured period.</summary>
    private sealed class Tally
    {
        public long Count;
        public long Bytes;
    }

    private sealed class Run(IPEndPoint endpoint, SslClientAuthenticationOptions options, TimeSpan connectTimeout,
        LatencyRecorder latency, CancellationToken stop)
    {
        /// <summary>The current phase's counts, warmup included (for the throughput over the run).</summary>
        private Tally _all = new();

        public string Protocol { get; private set; } = "?";

        /// <summary>Runs <paramref name="connections"/> loops for warmup + duration; counts only after the warmup.
        /// With <paramref name="sample"/>, also the throughput of every second, warmup included.</summary>
        public async Task<(Tally Measured, IReadOnlyList<ThroughputSample> Throughput)> MeasureAsync(int connections,
            TimeSpan warmup, TimeSpan duration, Func<CancellationToken, Func<Tally?>, Task> loop, bool sample = false)
        {
            using var end = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var measured = new Tally();
            var all = _all = new Tally();
            var started = Stopwatch.GetTimestamp();
            Tally? Current() => Stopwatch.GetElapsedTime(started) >= warmup ? measured : null;
            end.CancelAfter(warmup + duration);
            var sampler = sample
                ? new ThroughputSampler(() => (Interlocked.Read(ref all.Count), Interlocked.Read(ref all.Bytes)),
                    started + BenchClock.Ticks(warmup))
                : null;
            var loops = Enumerable.Range(0, connections).Select(_ => Task.Run(() => loop(end.Token, Current))).ToArray();
            try
            {
                await Task.WhenAll(loops);
            }
            catch (OperationCanceledException) when (end.IsCancellationRequested)
            {
            }
            IReadOnlyList<ThroughputSample> throughput = [];
            if (sampler is not null)
            {
                throughput = await sampler.StopAsync();
                await sampler.DisposeAsync();
            }
            stop.ThrowIfCancellationRequested();
            return (measured, throughput);
        }

        private void CountAll(long count, long bytes)
        {
            Interlocked.Add(ref _all.Count, count);
            Interlocked.Add(ref _all.Bytes, bytes);
        }

        private async Task<(Socket, SslStream)> ConnectAsync(CancellationToken ct)
        {
            var socket = await Dialer.ConnectAsync(endpoint, connectTimeout, ct);
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            try
            {
                await tls.AuthenticateAsClientAsync(options, ct);
                Protocol = tls.SslProtocol.ToString();
                return (socket, tls);
            }
            catch
            {
                await tls.DisposeAsync();
                throw;
            }
        }

        public async Task HandshakeLoopAsync(CancellationToken ct, Func<Tally?> tally)
        {
            var one = new byte[1];
            while (!ct.IsCancellationRequested)
            {
                var (socket, tls) = await ConnectAsync(ct);
                await using (tls)
                {
                    await tls.WriteAsync(one, ct);
                    await tls.ReadExactlyAsync(one, ct);
                    await TlsEchoClient.SendCloseNotifyAsync(tls, socket);
                }
                CountAll(1, 1);
                if (tally() is { } counted)
                    Interlocked.Increment(ref counted.Count);
            }
        }

        public async Task PingPongLoopAsync(CancellationToken ct, Func<Tally?> tally, int size)
        {
            var (_, tls) = await ConnectAsync(ct);
            await using var _ = tls;
            var message = new byte[size];
            Random.Shared.NextBytes(message);
            var echo = new byte[size];
            while (!ct.IsCancellationRequested)
            {
                var sentAt = Stopwatch.GetTimestamp();
                await tls.WriteAsync(message, ct);
                await tls.ReadExactlyAsync(echo, ct);
                if (!echo.AsSpan().SequenceEqual(message))
                    throw EchoFailureException.Mismatch("the TLS echo differs from the message");
                CountAll(1, size);
                if (tally() is { } counted)
                {
                    latency.Record(sentAt, Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref counted.Count);
                    Interlocked.Add(ref counted.Bytes, size);
                }
            }
        }

        /// <summary>Sends a repeating pattern and checks it as it comes back; counts --size bytes as a message.</summary>
        public async Task StreamLoopAsync(CancellationToken ct, Func<Tally?> tally, int size)
        {
            var (_, tls) = await ConnectAsync(ct);
            await using var _ = tls;
            var pattern = new byte[64 * 1024 + 251];
            for (var i = 0; i < pattern.Length; i++)
                pattern[i] = (byte)(i % 251);
            var sending = Task.Run(async () =>
            {
                long sent = 0;
                while (!ct.IsCancellationRequested)
                {
                    var offset = (int)(sent % 251);
                    await tls.WriteAsync(pattern.AsMemory(offset, 64 * 1024), ct);
                    sent += 64 * 1024;
                }
            }, ct);
            var buffer = new byte[64 * 1024];
            long received = 0, sinceMessage = 0;
            while (!ct.IsCancellationRequested)
            {
                var read = await tls.ReadAsync(buffer, ct);
                if (read == 0)
                    throw EchoFailureException.Network("the server closed the TLS stream");
                for (var i = 0; i < read; i++)
                    if (buffer[i] != (byte)((received + i) % 251))
                        throw EchoFailureException.Mismatch($"the TLS echo differs at byte {received + i}");
                received += read;
                sinceMessage += read;
                CountAll(sinceMessage / size, read);
                if (tally() is { } counted)
                {
                    Interlocked.Add(ref counted.Bytes, read);
                    Interlocked.Add(ref counted.Count, sinceMessage / size);
                }
                sinceMessage %= size;
            }
            await sending;
        }
    }
}
