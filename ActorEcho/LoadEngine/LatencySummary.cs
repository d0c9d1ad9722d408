namespace ActorEcho.LoadEngine;

/// <summary>Message latency in microseconds, from the merged HdrHistogram (3 significant digits).</summary>
public sealed record LatencySummary(long Count, double Mean, double P50, double P90, double P99, double P999, double Max);
