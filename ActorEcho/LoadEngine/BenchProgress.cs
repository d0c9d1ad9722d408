namespace ActorEcho.LoadEngine;

/// <summary>Live figures for the progress line, over the last interval.</summary>
public readonly record struct BenchProgress(TimeSpan Elapsed, bool WarmingUp, double MessagesPerSecond, double MegabytesPerSecond);
