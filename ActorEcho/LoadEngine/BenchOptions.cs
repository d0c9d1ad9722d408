using System.Net;

namespace ActorEcho.LoadEngine;

/// <summary>One bench run, as the command line asked for it. Each default is here and nowhere else: the
/// command line falls back to these and quotes them in its help.</summary>
public sealed record BenchOptions
{
    public const int DefaultConnections = 10;
    public const int DefaultMessageSize = 64;
    public const int DefaultWindow = 256 * 1024;
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultWarmup = TimeSpan.Zero;
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    public required string Target { get; init; }
    public required IPEndPoint Endpoint { get; init; }

    /// <summary>Pingpong unless said otherwise (see <see cref="BenchMode"/>).</summary>
    public BenchMode Mode { get; init; }

    public int Connections { get; init; } = DefaultConnections;

    /// <summary>Message size: pingpong's round trip, stream's unit of sending and of latency.</summary>
    public int MessageSize { get; init; } = DefaultMessageSize;

    /// <summary>Stream mode: most bytes a connection has sent and not yet had back, at least
    /// <see cref="MessageSize"/>. Null: <see cref="DefaultWindow"/>, or one message if that is larger.</summary>
    public int? Window { get; init; }

    /// <summary>The window stream mode runs with: <see cref="Window"/> or its default.</summary>
    public int StreamWindow => Window ?? Math.Max(DefaultWindow, MessageSize);

    public TimeSpan Duration { get; init; } = DefaultDuration;
    public TimeSpan Warmup { get; init; } = DefaultWarmup;
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>How long connections get, after the run, to finish their last message and close, before the
    /// bench gives up on the server (the hard cap is warmup + duration + this).</summary>
    public TimeSpan FinishTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections opened at once during setup (keeps a large run from overflowing the accept backlog).</summary>
    public int ConnectParallelism { get; init; } = 64;
}
