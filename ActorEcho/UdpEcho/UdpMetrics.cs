using System.Diagnostics.Metrics;
using ActorEcho.Diagnostics;

namespace ActorEcho.UdpEcho;

/// <summary>
/// The UDP echo's instruments, on the same <c>ActorEcho</c> meter as the TCP ones
/// (<see cref="EchoMetrics.Meter"/>). Every datagram received is either echoed (counted when Akka.IO
/// acknowledges the send) or dropped, and every drop is counted with its reason.
/// </summary>
public static class UdpMetrics
{
    /// <summary>The value of the <c>reason</c> tag on <see cref="DatagramsDropped"/>.</summary>
    public static class Reasons
    {
        /// <summary>Larger than <c>max-datagram-size</c> (or possibly truncated by Akka.IO's receive buffer).</summary>
        public const string TooLarge = "too-large";

        /// <summary>Zero bytes: Akka.IO's <c>Udp.Send</c> silently skips empty payloads, so none can be echoed.</summary>
        public const string Empty = "empty";

        /// <summary>The source port is in <c>refused-source-ports</c>, or is the server's own UDP port.</summary>
        public const string RefusedPort = "refused-port";

        /// <summary>The source address cannot be a real sender (unspecified, multicast, broadcast).</summary>
        public const string RefusedAddress = "refused-address";

        /// <summary>The source address is over its per-source packet or byte rate.</summary>
        public const string SourceRate = "source-rate";

        /// <summary>A new source while the table of sources (<c>max-sources</c>) is full.</summary>
        public const string SourceTableFull = "source-table-full";

        /// <summary>The server-wide reply rate (<c>global</c>) is used up.</summary>
        public const string GlobalRate = "global-rate";

        /// <summary><c>max-replies-in-flight</c> replies are already waiting for Akka.IO.</summary>
        public const string SendBacklog = "send-backlog";

        /// <summary>More than <c>max-pending-datagrams</c> datagrams were waiting for the echo actor.</summary>
        public const string ReceiveBacklog = "receive-backlog";

        /// <summary>Arrived after the shutdown began.</summary>
        public const string ShuttingDown = "shutting-down";

        /// <summary>Akka.IO refused the send (<c>CommandFailed</c>).</summary>
        public const string SendFailed = "send-failed";

        public static readonly IReadOnlyList<string> All =
        [
            TooLarge, Empty, RefusedPort, RefusedAddress, SourceRate, SourceTableFull, GlobalRate, SendBacklog,
            ReceiveBacklog, ShuttingDown, SendFailed,
        ];
    }

    public static readonly Counter<long> DatagramsReceived = EchoMetrics.Meter.CreateCounter<long>(
        "actorecho.udp.datagrams.received", "{datagram}", "UDP datagrams received");

    public static readonly Counter<long> DatagramsEchoed = EchoMetrics.Meter.CreateCounter<long>(
        "actorecho.udp.datagrams.echoed", "{datagram}", "UDP datagrams echoed (counted when Akka.IO acknowledges the send)");

    public static readonly Counter<long> BytesEchoed = EchoMetrics.Meter.CreateCounter<long>(
        "actorecho.udp.bytes.echoed", "By", "Bytes of UDP echo handed to the kernel");

    public static readonly Counter<long> DatagramsDropped = EchoMetrics.Meter.CreateCounter<long>(
        "actorecho.udp.datagrams.dropped", "{datagram}", "UDP datagrams not echoed, by reason");

    private static readonly Dictionary<string, KeyValuePair<string, object?>> ReasonTags =
        Reasons.All.ToDictionary(r => r, r => new KeyValuePair<string, object?>("reason", r));

    /// <summary>The cached <c>reason</c> tag, so that counting a drop allocates nothing.</summary>
    public static KeyValuePair<string, object?> ReasonTag(string reason) =>
        ReasonTags.TryGetValue(reason, out var tag) ? tag : new KeyValuePair<string, object?>("reason", reason);
}
