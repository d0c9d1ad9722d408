using System.Numerics;

namespace ActorEcho.Configuration;

/// <summary>
/// The most memory the settings let the TCP echo hold, against the memory the process may use: logged once at
/// start (docs/performance.md, "Memory under a flood of clients that stop reading", has the measured figures).
/// </summary>
/// <remarks>
/// Per connection, whatever its client does:
/// <list type="bullet">
/// <item>Akka.IO's receive buffer: one frame (<c>akka.io.tcp.maximum-frame-size</c>, rounded up to a power of two by
/// <c>ArrayPool.Shared</c>), rented when the connection is accepted and held for its life;</item>
/// <item>the one frame that a connection holding nothing may always read (<c>EchoBudget</c>'s rule);</item>
/// <item>the actors, the socket and their bookkeeping: <see cref="ConnectionStateBytes"/>.</item>
/// </list>
/// Server-wide: <c>max-buffered-bytes</c>, the budget for everything else held (both listeners share it). So the worst
/// case is <c>max-connections × (2 × frame + state) + max-buffered-bytes</c>, plus the runtime's own baseline, plus
/// the TLS listener's connections when it is on (<see cref="TlsBytes"/>: it counts max-connections of its own), plus
/// the UDP echo's own bounds when it is on (<see cref="UdpBytes"/>).
/// </remarks>
public sealed record MemoryBound(long WorstCaseBytes, long AvailableBytes)
{
    /// <summary>Per connection beyond its buffers, measured (docs/journal/issue-16-memory.md): the resident memory of
    /// 10,000 idle connections less their receive buffers, rounded up.</summary>
    public const int ConnectionStateBytes = 16 * 1024;

    /// <summary>What a TLS connection holds beyond a plain one's share: SslStream's record buffers, OpenSSL's native
    /// state and buffers, and while a record is echoed the plaintext buffer (<c>TlsTransport.PlaintextBufferSize</c>).
    /// Measured through ActorEcho (bench/tls-flood.sh: 1,000 clients x 1 MiB that stop reading, over TLS and over
    /// plain TCP, fresh servers alternating): with TLS as a transport under the connection (each record's plaintext
    /// copied for the connection to echo), the TLS floods peaked 176-223 MB above the plain ones in two pairs of runs,
    /// 172-218 KiB per connection; rounded up with a margin, since the bound is about resident memory
    /// (docs/tls.md).</summary>
    public const int TlsConnectionBytes = 256 * 1024;

    /// <summary>Ceiling of the <c>auto</c> budget: 64 MiB keeps hundreds of connections streaming at full speed
    /// (each needs at most its high watermark in flight), and a flood of readers that stopped costs no more.</summary>
    public const long AutoBudgetCeiling = 64L * 1024 * 1024;

    /// <summary>Share of the available memory that the <c>auto</c> budget takes when that is less: the rest is for
    /// the per-connection buffers and the runtime (in a 512 MiB container, 1/8 of the GC's 384 MiB is 48 MiB).</summary>
    public const int AutoBudgetShare = 8;

    /// <summary>The budget <c>max-buffered-bytes = auto</c> stands for: 1/<see cref="AutoBudgetShare"/> of the
    /// memory available to the process, at most <see cref="AutoBudgetCeiling"/>.</summary>
    public static long AutoBudget() => Math.Min(AutoBudgetCeiling, Math.Max(1, AvailableToProcess() / AutoBudgetShare));

    /// <summary>What the GC may use: the machine's memory, or a container's limit (the GC's hard limit, by default
    /// 75% of a cgroup's), known before any collection.</summary>
    public static long AvailableToProcess() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>The bound for these settings and this frame size.</summary>
    public static MemoryBound For(EchoSettings settings, int maximumFrameSize) =>
        new(settings.MaxConnections * PlainConnectionBytes(maximumFrameSize) + settings.MaxBufferedBytes
            + TlsBytes(settings, maximumFrameSize) + UdpBytes(settings), AvailableToProcess());

    /// <summary>A plain connection's share: two frames (each rounded up to a power of two by <c>ArrayPool.Shared</c>)
    /// and its state.</summary>
    private static long PlainConnectionBytes(int maximumFrameSize) =>
        2 * (long)BitOperations.RoundUpToPowerOf2((uint)maximumFrameSize) + ConnectionStateBytes;

    /// <summary>The TLS listener, when on, serves max-connections of its own (counted per listener, docs/tls.md), each
    /// a plain connection's share (Akka.IO's frame and the read-ahead are the same) plus <see cref="TlsConnectionBytes"/>.
    /// The ciphertext it hands to Akka.IO is under the shared budget.</summary>
    public static long TlsBytes(EchoSettings settings, int maximumFrameSize) => settings.Tls.BindAddress is null ? 0
        : (settings.Descriptors?.TlsMaxConnections ?? settings.MaxConnections) * (PlainConnectionBytes(maximumFrameSize) + TlsConnectionBytes);

    /// <summary>The UDP echo, when on, holds at most its replies in flight and the datagrams waiting in its mailbox
    /// (each at most a datagram; Akka.IO copies each read), and its table of sources (about 200 bytes each).</summary>
    public static long UdpBytes(EchoSettings settings) => settings.Udp.BindAddress is null ? 0
        : (long)(settings.Udp.MaxRepliesInFlight + settings.Udp.MaxPendingDatagrams) * settings.Udp.MaxDatagramSize
          + settings.Udp.MaxSources * 256L;

    public bool Fits => WorstCaseBytes <= AvailableBytes;

    public static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024):0} MiB";
}
