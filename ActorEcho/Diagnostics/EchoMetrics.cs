using System.Diagnostics.Metrics;

namespace ActorEcho.Diagnostics;

/// <summary>
/// The server's instruments, on one process-wide <see cref="Meter"/> named <c>ActorEcho</c>: read them with
/// <c>dotnet-counters monitor -n ActorEcho --counters ActorEcho</c>, or over HTTP with the optional HTTP
/// endpoint (<c>actor-echo.http-endpoint</c>, <c>/metrics</c>). An instrument nobody listens to costs one check per
/// call, so the actors update them unconditionally.
/// </summary>
public static class EchoMetrics
{
    public const string MeterName = "ActorEcho";

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
        "actorecho.connections.rejected", "{connection}", "Connections refused, by reason (max-connections, shutting-down, untrusted-proxy, denied, not-allowed, per-source-limit, connect-rate, source-table-full)");

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

    /// <summary>Reads <c>max-buffered-bytes</c>, the bound on <see cref="BytesBuffered"/>, as it is now (the budget's,
    /// which a reload may change): set by the host at start (one server per process; with several, as in the specs,
    /// the last one started). Read only when the gauge is observed (a scrape).</summary>
    public static Func<long> BufferedBytesLimit { get; set; } = () => 0;

    public static readonly ObservableGauge<long> BytesBufferedLimit = Meter.CreateObservableGauge(
        "actorecho.bytes.buffered.limit", () => BufferedBytesLimit(), "By", "max-buffered-bytes: the bound on actorecho.bytes.buffered");

    public static readonly UpDownCounter<long> ConnectionsPausedByBudget = Meter.CreateUpDownCounter<long>(
        "actorecho.connections.paused_by_budget", "{connection}", "Connections not read now because the server holds max-buffered-bytes (not those paused by their own watermark)");

    public static readonly Counter<long> TlsHandshakesCompleted = Meter.CreateCounter<long>(
        "actorecho.tls.handshakes.completed", "{handshake}", "TLS handshakes completed");

    public static readonly Counter<long> TlsHandshakesFailed = Meter.CreateCounter<long>(
        "actorecho.tls.handshakes.failed", "{handshake}", "TLS handshakes that failed, by reason: timeout, protocol, certificate");

    public static readonly Counter<long> Reloads = Meter.CreateCounter<long>("actorecho.reloads", "{reload}", "Configuration reloads (SIGHUP, or the TLS files changing), by result: ok, rejected");

    /// <summary>The certificate new TLS handshakes get: its expiry in Unix seconds, 0 while there is none.</summary>
    private static long _tlsCertificateNotAfter;

    public static readonly ObservableGauge<long> TlsCertificateNotAfter = Meter.CreateObservableGauge<long>(
        "actorecho.tls.certificate.not_after",
        () => Interlocked.Read(ref _tlsCertificateNotAfter) is > 0 and var notAfter ? [new Measurement<long>(notAfter)] : Array.Empty<Measurement<long>>(),
        "s", "When the certificate new TLS handshakes get expires, in seconds since the Unix epoch: alert on it minus time()");

    /// <summary>Records the certificate now in force for <see cref="TlsCertificateNotAfter"/> (at start and on each reload).</summary>
    public static void SetTlsCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        Interlocked.Exchange(ref _tlsCertificateNotAfter, new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds());

    /// <summary>Each listener's effective max-connections, by its <c>listener</c> tag: set when it starts.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> ConnectionsLimits = new();

    public static readonly ObservableGauge<long> ConnectionsLimit = Meter.CreateObservableGauge(
        "actorecho.connections.limit",
        () => ConnectionsLimits.Select(limit => new Measurement<long>(limit.Value, new KeyValuePair<string, object?>("listener", limit.Key))),
        "{connection}", "Connections each listener serves at most: max-connections, or less where the open-file limit cannot hold it");

    /// <summary>Records a listener's effective max-connections for <see cref="ConnectionsLimit"/>.</summary>
    public static void SetConnectionsLimit(KeyValuePair<string, object?> listenerTag, long limit) =>
        ConnectionsLimits[(string)listenerTag.Value!] = limit;

    /// <summary>The <c>reason</c> tag of <see cref="ConnectionsRejected"/>: one of the edge's refusals (<c>Refusal</c>, in Edge/).</summary>
    public static KeyValuePair<string, object?> RefusalTag(string refusal) => new("reason", refusal);
}
