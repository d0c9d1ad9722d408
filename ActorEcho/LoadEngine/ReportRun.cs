using System.Globalization;

namespace ActorEcho.LoadEngine;

/// <summary>
/// One bench result as the HTML report draws it, whichever bench made it (TCP, UDP, TLS): a label for the legend,
/// the series (latency by percentile, throughput over the run) and the rows of its table (parameters, results,
/// errors). Made from a result in memory after a run, or from its saved JSON (<see cref="BenchResultFile"/>).
/// </summary>
public sealed record ReportRun
{
    public required string Label { get; init; }

    /// <summary>What ran: "tcp pingpong", "tcp stream", "udp", "tls pingpong", ...</summary>
    public required string Kind { get; init; }
    public required string Target { get; init; }
    public string? Address { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public double WarmupSeconds { get; init; }

    /// <summary>Name and value rows: how the run was set up.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    /// <summary>Name and value rows: what it measured, errors and mismatches included.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Results { get; init; }

    public IReadOnlyList<PercentilePoint> Latency { get; init; } = [];
    public IReadOnlyList<ThroughputSample> Throughput { get; init; } = [];

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    // Any error or mismatch ends a bench with exit code 3 or 4 and no result, so a result's counts are 0.
    private static KeyValuePair<string, string>[] CleanRun(string checkedWhat) =>
    [
        new("errors", "0"),
        new("mismatches", $"0 ({checkedWhat}; any error or mismatch ends the run with exit code 3 or 4)"),
    ];

    private static KeyValuePair<string, string>[] Latencies(LatencySummary? l) => l is null || l.Count == 0
        ? [new("latency", "not measured")]
        : [new("latency µs", string.Create(C, $"p50 {l.P50:0.0}  p90 {l.P90:0.0}  p99 {l.P99:0.0}  p99.9 {l.P999:0.0}  max {l.Max:0.0}  mean {l.Mean:0.0}")),
           new("samples", l.Count.ToString("N0", C))];

    public static ReportRun From(BenchResult r, string label) => new()
    {
        Label = label,
        Kind = "tcp " + r.Mode.Name(),
        Target = r.Target,
        Address = r.Address,
        StartedAt = r.StartedAt,
        WarmupSeconds = r.WarmupSeconds,
        Parameters =
        [
            new("mode", r.Mode.Name()),
            new("connections", r.Connections.ToString(C)),
            new("message size", BenchReport.Bytes(r.MessageSize)),
            .. r.Window is { } window ? [new KeyValuePair<string, string>("window", BenchReport.Bytes(window))] : Array.Empty<KeyValuePair<string, string>>(),
            new("measured", string.Create(C, $"{r.DurationSeconds:0.###} s{(r.Interrupted ? " (interrupted)" : "")}")),
            new("warmup", string.Create(C, $"{r.WarmupSeconds:0.###} s")),
        ],
        Results =
        [
            new("connect", string.Create(C, $"{r.ConnectSeconds * 1000:0.0} ms ({r.ConnectionsPerSecond:N0} connections/s)")),
            new("messages", string.Create(C, $"{r.Messages:N0}, {r.MessagesPerSecond:N0} msg/s")),
            new("throughput", string.Create(C, $"sent {r.SentMegabytesPerSecond:N2} MB/s, received {r.ReceivedMegabytesPerSecond:N2} MB/s")),
            .. Latencies(r.LatencyMicroseconds),
            .. CleanRun("every echoed byte checked"),
        ],
        Latency = r.LatencyPercentiles,
        Throughput = r.Throughput,
    };

    public static ReportRun From(UdpBenchResult r, string label) => new()
    {
        Label = label,
        Kind = "udp",
        Target = r.Target,
        Address = r.Address,
        StartedAt = r.StartedAt,
        WarmupSeconds = r.WarmupSeconds,
        Parameters =
        [
            new("mode", "request/response (udp)"),
            new("sockets", r.Sockets.ToString(C)),
            new("datagram size", BenchReport.Bytes(r.DatagramSize)),
            new("loss timeout", string.Create(C, $"{r.LossTimeoutSeconds * 1000:0} ms")),
            new("measured", string.Create(C, $"{r.DurationSeconds:0.###} s{(r.Interrupted ? " (interrupted)" : "")}")),
            new("warmup", string.Create(C, $"{r.WarmupSeconds:0.###} s")),
        ],
        Results =
        [
            new("datagrams", string.Create(C, $"{r.Sent:N0} sent, {r.Echoed:N0} echoed, {r.EchoesPerSecond:N0} echoes/s, {r.EchoMegabytesPerSecond:N2} MB/s")),
            new("lost", string.Create(C, $"{r.Lost:N0} ({r.LossPercent:0.###} %)")),
            new("late echoes", r.Late.ToString("N0", C)),
            .. Latencies(r.LatencyMicroseconds),
            .. CleanRun("every echoed byte checked"),
        ],
        Latency = r.LatencyPercentiles,
        Throughput = r.Throughput,
    };

    public static ReportRun From(TlsBenchResult r, string label) => new()
    {
        Label = label,
        Kind = "tls " + r.Mode,
        Target = r.Target,
        Address = r.Address,
        StartedAt = r.StartedAt,
        WarmupSeconds = r.WarmupSeconds,
        Parameters =
        [
            new("mode", r.Mode + " over TLS"),
            new("connections", r.Connections.ToString(C)),
            new("message size", BenchReport.Bytes(r.Size)),
            new("measured", string.Create(C, $"{r.Seconds:0.###} s per phase (handshakes, then echo)")),
            new("warmup", string.Create(C, $"{r.WarmupSeconds:0.###} s per phase")),
            new("protocol", r.Protocol),
        ],
        Results =
        [
            new("handshakes", string.Create(C, $"{r.HandshakesPerSecond:N0} /s (connect, handshake, 1-byte echo, close)")),
            new("echo", string.Create(C, $"{r.MessagesPerSecond:N0} msg/s, {r.MegabytesPerSecond:N2} MB/s each way")),
            .. Latencies(r.LatencyMicroseconds),
            .. CleanRun("every echoed byte checked"),
        ],
        Latency = r.LatencyPercentiles,
        Throughput = r.Throughput,
    };
}
