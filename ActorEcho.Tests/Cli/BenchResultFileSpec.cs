using ActorEcho.LoadEngine;

namespace ActorEcho.Tests.Cli;

/// <summary>A result saved with --json and read back by <c>bench compare</c> draws exactly what the run itself would
/// have drawn: the same series, parameters and results, for each kind of bench.</summary>
public sealed class BenchResultFileSpec : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    private static readonly LatencySummary Latency = new(1000, 80.5, 70.1, 120.3, 250.7, 1900.2, 24000.6);
    private static readonly ThroughputSample[] Throughput = [new(1.001, true, 25_000.5, 1.6), new(2.002, false, 47_000, 3.008)];
    private static readonly PercentilePoint[] Percentiles = [new(0, 20.1), new(50, 70.1), new(99.9, 1900.2), new(100, 24000.6)];
    private static readonly DateTimeOffset Started = new(2026, 12, 6, 2, 45, 57, TimeSpan.Zero);

    public static BenchResult SampleTcp() => new()
    {
        Target = "localhost:2000", Mode = BenchMode.Stream, Connections = 4, MessageSize = 4096, Window = 262_144,
        DurationSeconds = 2, WarmupSeconds = 1, ConnectSeconds = 0.05, ConnectionsPerSecond = 80, Messages = 94_000,
        MessagesPerSecond = 47_000, BytesSent = 385_024_000, BytesReceived = 385_024_000, SentMegabytesPerSecond = 192.5,
        ReceivedMegabytesPerSecond = 192.5, LatencyMicroseconds = Latency, Address = "127.0.0.1:2000", StartedAt = Started,
        Throughput = Throughput, LatencyPercentiles = Percentiles,
    };

    public static string SampleTcpJson()
    {
        using var text = new StringWriter();
        BenchReport.WriteJson(text, SampleTcp());
        return text.ToString();
    }

    [Fact]
    public void A_tcp_result_reads_back_as_the_run_drew_it()
    {
        File.WriteAllText(_file, SampleTcpJson());
        AssertSame(ReportRun.From(SampleTcp(), "a"), BenchResultFile.Read(_file, "a"));
    }

    [Fact]
    public void A_udp_result_reads_back_as_the_run_drew_it()
    {
        var result = new UdpBenchResult
        {
            Target = "127.0.0.1:2000", Sockets = 2, DatagramSize = 100, DurationSeconds = 2, WarmupSeconds = 1,
            LossTimeoutSeconds = 1, Sent = 1000, Echoed = 998, Lost = 2, Late = 1, LossPercent = 0.2, EchoesPerSecond = 499,
            EchoMegabytesPerSecond = 0.05, LatencyMicroseconds = Latency, Address = "127.0.0.1:2000", StartedAt = Started,
            Throughput = Throughput, LatencyPercentiles = Percentiles,
        };
        using (var file = new StreamWriter(_file))
            result.WriteJson(file);
        AssertSame(ReportRun.From(result, "u"), BenchResultFile.Read(_file, "u"));
    }

    [Fact]
    public void A_tls_result_reads_back_as_the_run_drew_it()
    {
        var result = new TlsBenchResult
        {
            Target = "127.0.0.1:2443", Mode = "pingpong", Connections = 2, Size = 100, Seconds = 2, WarmupSeconds = 1,
            HandshakesPerSecond = 900, MessagesPerSecond = 20_000, MegabytesPerSecond = 2, Protocol = "Tls13",
            Address = "127.0.0.1:2443", StartedAt = Started, LatencyMicroseconds = Latency, Throughput = Throughput,
            LatencyPercentiles = Percentiles,
        };
        using (var file = new StreamWriter(_file))
            result.WriteJson(file);
        AssertSame(ReportRun.From(result, "t"), BenchResultFile.Read(_file, "t"));
    }

    private static void AssertSame(ReportRun expected, ReportRun read)
    {
        Assert.Equal(expected.Kind, read.Kind);
        Assert.Equal(expected.Target, read.Target);
        Assert.Equal(expected.Address, read.Address);
        Assert.Equal(expected.StartedAt, read.StartedAt);
        Assert.Equal(expected.WarmupSeconds, read.WarmupSeconds);
        Assert.Equal(expected.Parameters, read.Parameters);
        Assert.Equal(expected.Results, read.Results);
        Assert.Equal(expected.Latency, read.Latency);
        Assert.Equal(expected.Throughput, read.Throughput);
        using var first = new StringWriter();
        using var second = new StringWriter();
        HtmlReport.Render(first, "x", [expected]);
        HtmlReport.Render(second, "x", [read]);
        Assert.Equal(first.ToString(), second.ToString());
    }
}
