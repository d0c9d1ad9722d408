using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorEcho.Tls;

/// <summary>
/// The certificate of <c>certificate = "self-signed"</c>: made at start, for localhost, 127.0.0.1, ::1 and the bind
/// host, valid for a year, its key never written anywhere. For trying the server out and for tests: clients must not
/// verify it (or pin its SHA-256 fingerprint, which the server logs).
/// </summary>
public static class SelfSignedCertificate
{
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public static X509Certificate2 Create(string? bindHost)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ActorEcho self-signed", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (!string.IsNullOrEmpty(bindHost) && bindHost != "localhost")
        {
            if (IPAddress.TryParse(bindHost.Trim('[', ']'), out var address))
            {
                if (!IPAddress.IsLoopback(address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
                    names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(bindHost);
            }
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return TlsServerCredentials.WithUsableKey(certificate);
    }
}
