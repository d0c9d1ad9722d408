using System.Diagnostics;
using System.Net;
using ActorEcho.Configuration;
using Akka.Event;

namespace ActorEcho.TcpEcho;

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
    /// <param name="tls">A TLS connection's fields (<see cref="NegotiatedTls.None"/> when its handshake did not
    /// complete); null for plain TCP, whose line has none.</param>
    public static void Write(ILoggingAdapter log, string client, string? via, EndPoint listener, long startedAt,
        long bytesIn, long bytesOut, CloseReason reason, NegotiatedTls? tls)
    {
        if (tls is null)
        {
            log.Info(Fields, new object?[]
            {
                client, via ?? "-", EndpointParser.Format(listener), DurationMs(startedAt), bytesIn, bytesOut,
                CloseReasonTags.Tag(reason).Value,
            });
            return;
        }
        log.Info(TlsFields, new object?[]
        {
            client, via ?? "-", EndpointParser.Format(listener), DurationMs(startedAt), bytesIn, bytesOut,
            CloseReasonTags.Tag(reason).Value, tls.Protocol, tls.Cipher, tls.Sni, tls.ClientSubject,
        });
    }

    private static long DurationMs(long startedAt) => (long)Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds;
}
