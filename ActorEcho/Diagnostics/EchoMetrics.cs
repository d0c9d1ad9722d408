using System.Diagnostics.Metrics;
using ActorEcho.Actors;

namespace ActorEcho.Diagnostics;

/// <summary>
/// The server's instruments, on one process-wide <see cref="Meter"/> named <c>ActorEcho</c>: read them with
/// <c>dotnet-counters monitor -n ActorEcho --counters ActorEcho</c>, or over HTTP with the optional Prometheus
/// endpoint (<c>actor-echo.metrics.prometheus-endpoint</c>). An instrument nobody listens to costs one check per
/// call, so the actors update them unconditionally.
/// </summary>
public static class EchoMetrics
{
    public const string MeterName = "ActorEcho";

    /// <summary>The value of the <c>reason</c> tag on <see cref="ConnectionsClosed"/>.</summary>
    public static class Reasons
    {
        /// <summary>The client closed its side (FIN); everything it sent was echoed, then the server closed.</summary>
        public const string PeerClosed = "peer-closed";

        /// <summary>No traffic either way for <c>idle-timeout</c>: the server closed the connection (FIN).</summary>
        public const string IdleTimeout = "idle-timeout";

        /// <summary>The client stopped reading its echo for <c>idle-timeout</c>: the server aborted (RST).</summary>
        public const string SlowReader = "slow-reader";

        /// <summary>Closed with FIN during a graceful shutdown.</summary>
        public const string Drained = "drained";

        /// <summary>Still receiving (or finishing its echo) when <c>drain-timeout</c> ran out: what it had sent was
        /// echoed, then FIN; reset if it could not close within <c>drain-linger</c>.</summary>
        public const string DrainTimeout = "drain-timeout";

        /// <summary>The client reset the connection (RST), or the socket failed.</summary>
        public const string Error = "error";

        /// <summary>The connection was aborted after Akka.IO refused a command.</summary>
        public const string Aborted = "aborted";

        /// <summary>The connection actor threw; supervision stopped it and its connection was aborted.</summary>
        public const string Failed = "failed";

        /// <summary>The connection actor was stopped from outside (e.g. the actor system shut down).</summary>
        public const string Stopped = "stopped";

        /// <summary>TLS only: the handshake did not complete; nothing was echoed.</summary>
        public const string HandshakeFailed = "handshake-failed";
    }

    /// <summary>The <c>reason</c> tag on <see cref="TlsHandshakesFailed"/>.</summary>
    public static class HandshakeFailures
    {
        /// <summary>Not finished within <c>tls.handshake-timeout</c>.</summary>
        public const string Timeout = "timeout";

        /// <summary>Not TLS, a version or cipher not offered, a malformed message, or the client went away.</summary>
        public const string Protocol = "protocol";

        /// <summary>The client certificate was missing (when required) or did not verify against <c>tls.client-ca</c>.</summary>
        public const string Certificate = "certificate";
    }

    public static readonly Meter Meter = new(MeterName, typeof(EchoMetrics).Assembly.GetName().Version?.ToString());

    public static readonly UpDownCounter<long> ConnectionsActive = Meter.CreateUpDownCounter<long>(
        "actorecho.connections.active", "{connection}", "Connections being served now");

    public static readonly Counter<long> ConnectionsAccepted = Meter.CreateCounter<long>(
        "actorecho.connections.accepted", "{connection}", "Connections accepted and served");

    public static readonly Counter<long> ConnectionsRejected = Meter.CreateCounter<long>(
        "actorecho.connections.rejected", "{connection}", "Connections refused (max-connections reached, or shutting down)");

    public static readonly Counter<long> ConnectionsClosed = Meter.CreateCounter<long>(
        "actorecho.connections.closed", "{connection}", "Served connections that ended, by reason");

    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>(
        "actorecho.bytes.received", "By", "Bytes read from clients (including any that arrive after the server closed its side, which are not echoed)");

    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>(
        "actorecho.bytes.sent", "By", "Echo bytes handed to the kernel (counted when Akka.IO acknowledges the write)");

    public static readonly Counter<long> ReadsSuspended = Meter.CreateCounter<long>(
        "actorecho.reads.suspended", "{pause}", "Times a connection stopped reading because its client was not reading the echo fast enough");

    public static readonly UpDownCounter<long> BytesBuffered = Meter.CreateUpDownCounter<long>(
        "actorecho.bytes.buffered", "By", "Echo bytes held by the server now (read, not yet handed to the kernel): the use of max-buffered-bytes");

    public static readonly UpDownCounter<long> ConnectionsPausedByBudget = Meter.CreateUpDownCounter<long>(
        "actorecho.connections.paused_by_budget", "{connection}", "Connections not read now because the server holds max-buffered-bytes (not those paused by their own watermark)");

    public static readonly Counter<long> TlsHandshakesCompleted = Meter.CreateCounter<long>(
        "actorecho.tls.handshakes.completed", "{handshake}", "TLS handshakes completed");

    public static readonly Counter<long> TlsHandshakesFailed = Meter.CreateCounter<long>(
        "actorecho.tls.handshakes.failed", "{handshake}", "TLS handshakes that failed, by reason: timeout, protocol, certificate");

    /// <summary>The <c>reason</c> tag for <paramref name="reason"/>, whose text is one of <see cref="Reasons"/>:
    /// cached, so that recording a close allocates nothing.</summary>
    public static KeyValuePair<string, object?> ReasonTag(CloseReason reason) => reason switch
    {
        CloseReason.PeerClosed => PeerClosedTag,
        CloseReason.IdleTimeout => IdleTimeoutTag,
        CloseReason.SlowReader => SlowReaderTag,
        CloseReason.Drained => DrainedTag,
        CloseReason.DrainTimeout => DrainTimeoutTag,
        CloseReason.Error => ErrorTag,
        CloseReason.Aborted => AbortedTag,
        CloseReason.Failed => FailedTag,
        CloseReason.Stopped => StoppedTag,
        CloseReason.HandshakeFailed => HandshakeFailedTag,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    private const string ReasonKey = "reason";
    private static readonly KeyValuePair<string, object?> PeerClosedTag = new(ReasonKey, Reasons.PeerClosed);
    private static readonly KeyValuePair<string, object?> IdleTimeoutTag = new(ReasonKey, Reasons.IdleTimeout);
    private static readonly KeyValuePair<string, object?> SlowReaderTag = new(ReasonKey, Reasons.SlowReader);
    private static readonly KeyValuePair<string, object?> DrainedTag = new(ReasonKey, Reasons.Drained);
    private static readonly KeyValuePair<string, object?> DrainTimeoutTag = new(ReasonKey, Reasons.DrainTimeout);
    private static readonly KeyValuePair<string, object?> ErrorTag = new(ReasonKey, Reasons.Error);
    private static readonly KeyValuePair<string, object?> AbortedTag = new(ReasonKey, Reasons.Aborted);
    private static readonly KeyValuePair<string, object?> FailedTag = new(ReasonKey, Reasons.Failed);
    private static readonly KeyValuePair<string, object?> StoppedTag = new(ReasonKey, Reasons.Stopped);
    private static readonly KeyValuePair<string, object?> HandshakeFailedTag = new(ReasonKey, Reasons.HandshakeFailed);
}
