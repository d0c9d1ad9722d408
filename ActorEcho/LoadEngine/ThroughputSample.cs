namespace ActorEcho.LoadEngine;

/// <summary>One interval (about a second) of a bench run, warmup included: when it ended, counted from the start of
/// the load, and the rates over it. Drawn by the HTML report as throughput over the run.</summary>
public sealed record ThroughputSample(double Seconds, bool Warmup, double MessagesPerSecond, double MegabytesPerSecond);
