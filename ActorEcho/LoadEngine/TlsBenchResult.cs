using System.Text.Json;

namespace ActorEcho.LoadEngine;

/// <summary>What a TLS bench (<c>bench --tls</c>) measured: the handshake rate of its first phase, the echo rates of
/// its second, and for the echo phase the throughput over the run and (pingpong) the latency distribution.</summary>
public sealed record TlsBenchResult
{
    public required string Target { get; init; }
    public required string Mode { get; init; }
    public required int Connections { get; init; }
    public required int Size { get; init; }

    /// <summary>Measured seconds of each phase.</summary>
    public required double Seconds { get; init; }
    public double WarmupSeconds { get; init; }
    public required double HandshakesPerSecond { get; init; }
    public required double MessagesPerSecond { get; init; }
    public required double MegabytesPerSecond { get; init; }

    /// <summary>The TLS version negotiated (SslProtocols' name, e.g. Tls13).</summary>
    public required string Protocol { get; init; }

    public string? Address { get; init; }
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Round trips of the echo phase (pingpong only; stream mode measures no latency).</summary>
    public LatencySummary? LatencyMicroseconds { get; init; }
    public IReadOnlyList<ThroughputSample> Throughput { get; init; } = [];
    public IReadOnlyList<PercentilePoint> LatencyPercentiles { get; init; } = [];

    /// <summary>The result as one line of JSON (camelCase names), like <see cref="BenchReport.WriteJson"/>.</summary>
    public void WriteJson(TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(this, TlsBenchJsonContext.Default.TlsBenchResult));
}
