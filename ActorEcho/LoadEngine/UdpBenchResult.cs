using System.Globalization;
using System.Text.Json;

namespace ActorEcho.LoadEngine;

/// <summary>What a finished UDP bench measured (request/response: each socket sends a datagram and waits for its
/// echo, or for the loss timeout, before sending the next). Counts cover datagrams sent in the measured period.</summary>
public sealed record UdpBenchResult
{
    public required string Target { get; init; }
    public string Protocol => "udp";
    public required int Sockets { get; init; }
    public required int DatagramSize { get; init; }
    public required double DurationSeconds { get; init; }
    public required double WarmupSeconds { get; init; }
    public required double LossTimeoutSeconds { get; init; }

    /// <summary>Datagrams sent in the measured period.</summary>
    public required long Sent { get; init; }

    /// <summary>Of those, echoed exactly within the loss timeout.</summary>
    public required long Echoed { get; init; }

    /// <summary>Of those, not echoed within the loss timeout.</summary>
    public required long Lost { get; init; }

    /// <summary>Echoes that arrived after their datagram had been counted lost (checked too, not counted as echoed).</summary>
    public required long Late { get; init; }

    public required double LossPercent { get; init; }
    public required double EchoesPerSecond { get; init; }
    public required double EchoMegabytesPerSecond { get; init; }
    public required LatencySummary LatencyMicroseconds { get; init; }
    public bool Interrupted { get; init; }

    /// <summary>The server's resolved address (host and port), as dialled.</summary>
    public string? Address { get; init; }

    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Messages per second over the run, about one sample a second, warmup included (for --report).</summary>
    public IReadOnlyList<ThroughputSample> Throughput { get; init; } = [];

    /// <summary>Latency by percentile, HdrHistogram's distribution (for --report and bench compare).</summary>
    public IReadOnlyList<PercentilePoint> LatencyPercentiles { get; init; } = [];

    /// <summary>The result as one line of JSON (camelCase names), like <see cref="BenchReport.WriteJson"/>.</summary>
    public void WriteJson(TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(this, UdpBenchJsonContext.Default.UdpBenchResult));

    /// <summary>The human-readable form, like <see cref="BenchReport.Write"/>.</summary>
    public void Write(TextWriter output, string resolvedTarget)
    {
        var c = CultureInfo.InvariantCulture;
        var warmup = BenchReport.AfterWarmup(WarmupSeconds);
        output.WriteLine(string.Create(c,
            $"bench udp {Target} ({resolvedTarget}): request/response, {Sockets} socket(s), {BenchReport.Bytes(DatagramSize)} datagrams, {DurationSeconds:0.###} s measured{warmup}{(Interrupted ? " (interrupted)" : "")}"));
        output.WriteLine(string.Create(c,
            $"  datagrams   {Sent:N0} sent, {Echoed:N0} echoed, {EchoesPerSecond:N0} echoes/s, {EchoMegabytesPerSecond:N2} MB/s of echo"));
        output.WriteLine(string.Create(c,
            $"  loss        {Lost:N0} lost ({LossPercent:0.###} %), no echo within {LossTimeoutSeconds * 1000:0} ms; {Late:N0} late echoes"));
        BenchReport.WriteLatencyAndErrors(output, LatencyMicroseconds);
    }
}
