using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ActorEcho.TcpEcho;

/// <summary>What one connection's handshake settled, for the access log (docs/edge.md): <c>tls_protocol</c>,
/// <c>tls_cipher</c>, <c>tls_sni</c> and <c>tls_client_subject</c>, each <c>-</c> when absent.</summary>
public sealed record NegotiatedTls(string Protocol, string Cipher, string Sni, string ClientSubject)
{
    /// <summary>A handshake that did not complete: every field <c>-</c>.</summary>
    public static NegotiatedTls None { get; } = new("-", "-", "-", "-");

    /// <summary>What <paramref name="stream"/>'s completed handshake settled.</summary>
    public static NegotiatedTls Of(SslStream stream) => new(
        ProtocolName(stream.SslProtocol),
        stream.NegotiatedCipherSuite.ToString(),
        string.IsNullOrEmpty(stream.TargetHostName) ? "-" : stream.TargetHostName,
        SubjectText(stream.RemoteCertificate));

    /// <summary>OpenSSL's names (nginx's <c>$ssl_protocol</c>, HAProxy's <c>ssl_fc_protocol</c>).</summary>
    public static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.Tls13 => "TLSv1.3",
        _ => protocol.ToString(),
    };

    /// <summary>The subject as an RFC 4514 name (most specific first, as <see cref="X500DistinguishedName.Name"/>)
    /// with no space in it, so that the access log's values stay space-free: the separator is a bare comma and a
    /// space inside a value is escaped as <c>\20</c>, which RFC 4514 allows for any character.</summary>
    public static string SubjectText(X509Certificate? certificate)
    {
        if (certificate is null)
            return "-";
        var name = (certificate as X509Certificate2)?.SubjectName ?? new X500DistinguishedName(certificate.Subject);
        var lines = name.Decode(X500DistinguishedNameFlags.Reversed | X500DistinguishedNameFlags.UseNewLines)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "-" : string.Join(',', lines).Replace(" ", "\\20", StringComparison.Ordinal);
    }
}
