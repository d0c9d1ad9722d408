using System.Net;

namespace ActorEcho.Bench;

/// <summary>One bench run, as the command line asked for it.</summary>
public sealed record BenchOptions
{
    public required string Target { get; init; }
    public required IPEndPoint Endpoint { get; init; }
    public BenchMode Mode { get; init; } = BenchMode.PingPong;
    public int Connections { get; init; } = 10;

    /// <summary>Message size: pingpong's round trip, stream's unit of sending and of latency.</summary>
    public int MessageSize { get; init; } = 64;

    /// <summary>Stream mode: most bytes a connection has sent and not yet had back.</summary>
    public int Window { get; init; } = 256 * 1024;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long connections get, after the run, to finish their last message and close, before the
    /// bench gives up on the server (the hard cap is warmup + duration + this).</summary>
    public TimeSpan FinishTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections opened at once during setup (keeps a large run from overflowing the accept backlog).</summary>
    public int ConnectParallelism { get; init; } = 64;
}
