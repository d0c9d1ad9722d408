namespace ActorEcho.LoadEngine;

/// <summary>One interval (about a second) of a bench run, warmup included: when it ended, counted from the start of
/// the load, and the rates over it (messages/s, MB/s). Drawn by the HTML report as throughput over the run. The rates'
/// names differ from the result's own <c>messagesPerSecond</c> and <c>megabytesPerSecond</c> on purpose: scripts
/// (bench/tls.sh) pick a result's fields out of its JSON line by name.</summary>
public sealed record ThroughputSample(double Seconds, bool Warmup, double MessageRate, double MegabyteRate);
