namespace ActorEcho.LoadEngine;

/// <summary>One point of the latency distribution: <see cref="Percentile"/> (0 to 100) of the messages took at most
/// <see cref="Microseconds"/>. A result's points are HdrHistogram's percentile distribution, so a saved JSON result
/// can be drawn again (and compared) without the histogram.</summary>
public sealed record PercentilePoint(double Percentile, double Microseconds);
