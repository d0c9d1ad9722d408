namespace ActorEcho.LoadEngine;

/// <summary>What a finished run measured. Byte counts are payload bytes in the measured period; MB is 10^6 bytes.
/// "Sent" is client to server, "received" is the echo coming back.</summary>
public sealed record BenchResult
{
    public required string Target { get; init; }
    public required BenchMode Mode { get; init; }
    public required int Connections { get; init; }
    public required int MessageSize { get; init; }

    /// <summary>Stream mode's window in bytes; null in pingpong.</summary>
    public int? Window { get; init; }

    public required double DurationSeconds { get; init; }
    public required double WarmupSeconds { get; init; }
    public required double ConnectSeconds { get; init; }
    public required double ConnectionsPerSecond { get; init; }

    /// <summary>Messages echoed in full: round trips in pingpong, message-sized pieces of the stream in stream.</summary>
    public required long Messages { get; init; }
    public required double MessagesPerSecond { get; init; }
    public required long BytesSent { get; init; }
    public required long BytesReceived { get; init; }
    public required double SentMegabytesPerSecond { get; init; }
    public required double ReceivedMegabytesPerSecond { get; init; }
    public required LatencySummary LatencyMicroseconds { get; init; }

    /// <summary>The run was interrupted (Ctrl-C): the figures cover the measured time up to then.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Always 0 in a result: any error ends the run with an error exit code instead.</summary>
    public int Errors { get; init; }

    /// <summary>The server's resolved address (host and port), as dialled.</summary>
    public string? Address { get; init; }

    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Messages per second over the run, about one sample a second, warmup included (for --report).</summary>
    public IReadOnlyList<ThroughputSample> Throughput { get; init; } = [];

    /// <summary>Latency by percentile, HdrHistogram's distribution (for --report and bench compare).</summary>
    public IReadOnlyList<PercentilePoint> LatencyPercentiles { get; init; } = [];
}
