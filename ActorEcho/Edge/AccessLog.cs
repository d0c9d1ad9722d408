using System.Diagnostics;
using System.Net;
using ActorEcho.Actors;
using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using ActorEcho.Tls;
using Akka.Event;

namespace ActorEcho.Edge;

/// <summary>
/// The access log's line (<c>actor-echo.access-log</c>; docs/edge.md): stable keys, values without spaces, so that
/// awk can split it, and named template fields, which the host's logger turns into fields of the JSON log. Akka's
/// formatter fills it only if INFO is enabled. One line per ended connection, written by its actor.
/// </summary>
public static class AccessLog
{
    private const string Fields =
        "Access client={Client} via={Via} listener={Listener} duration_ms={DurationMs} bytes_in={BytesIn} bytes_out={BytesOut} reason={Reason}";

    /// <summary>A TLS connection's line: the same fields, then what its handshake negotiated (<c>-</c> for each when
    /// it did not complete).</summary>
    private const string TlsFields =
        Fields + " tls_protocol={TlsProtocol} tls_cipher={TlsCipher} tls_sni={TlsSni} tls_client_subject={TlsClientSubject}";

    /// <param name="client">The client (the PROXY header's, if any).</param>
    /// <param name="via">The balancer when a PROXY header named the client; null for a direct client.</param>
    /// <param name="startedAt">The connection actor's start (<see cref="Stopwatch.GetTimestamp"/>).</param>
    public static void Write(ILoggingAdapter log, string client, string? via, EndPoint listener, long startedAt,
        long bytesIn, long bytesOut, CloseReason reason) =>
        log.Info(Fields, new object?[]
        {
            client, via ?? "-", EndpointParser.Format(listener), DurationMs(startedAt), bytesIn, bytesOut,
            EchoMetrics.ReasonTag(reason).Value,
        });

    /// <param name="negotiated">What the handshake settled; null if it did not complete.</param>
    public static void WriteTls(ILoggingAdapter log, string client, string? via, EndPoint listener, long startedAt,
        long bytesIn, long bytesOut, CloseReason reason, NegotiatedTls? negotiated) =>
        log.Info(TlsFields, new object?[]
        {
            client, via ?? "-", EndpointParser.Format(listener), DurationMs(startedAt), bytesIn, bytesOut,
            EchoMetrics.ReasonTag(reason).Value,
            negotiated?.Protocol ?? "-", negotiated?.Cipher ?? "-", negotiated?.Sni ?? "-", negotiated?.ClientSubject ?? "-",
        });

    private static long DurationMs(long startedAt) => (long)Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds;
}
