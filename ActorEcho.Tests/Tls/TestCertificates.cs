using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorEcho.Configuration;
using ActorEcho.Tls;

namespace ActorEcho.Tests.Tls;

/// <summary>
/// Certificates made in memory for the TLS specs (<see cref="CertificateRequest"/>): a CA, a server certificate and
/// client certificates it signs, and the bad ones (another CA's, expired, server-auth only). No key is ever written
/// to the repository; specs that need files write them to a temporary directory.
/// </summary>
public static class TestCertificates
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private static readonly Lazy<X509Certificate2> LazyCa = new(() => CreateCa("CN=ActorEcho test CA"));
    private static readonly Lazy<X509Certificate2> LazyOtherCa = new(() => CreateCa("CN=ActorEcho other CA"));
    private static readonly Lazy<X509Certificate2> LazyServer = new(() => Issue(Ca, "CN=localhost", ServerAuth));

    /// <summary>The CA that client-ca trusts in the specs, and that signs the server's certificate.</summary>
    public static X509Certificate2 Ca => LazyCa.Value;

    /// <summary>A CA nobody trusts.</summary>
    public static X509Certificate2 OtherCa => LazyOtherCa.Value;

    /// <summary>The server's certificate (localhost, 127.0.0.1, ::1), signed by <see cref="Ca"/>.</summary>
    public static X509Certificate2 Server => LazyServer.Value;

    public static TlsServerCredentials ServerCredentials(ClientCertificateMode mode = ClientCertificateMode.Off) =>
        TlsServerCredentials.FromCertificate(Server, [], mode, [Ca]);

    public static X509Certificate2 CreateCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        // From 60 days back: room to issue the expired client certificate inside the CA's own validity.
        using var ca = request.CreateSelfSigned(now.AddDays(-60), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(ca.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A certificate signed by <paramref name="issuer"/> for <paramref name="usage"/> (an EKU OID), valid
    /// from <paramref name="notBefore"/> to <paramref name="notAfter"/> (by default: yesterday to next month).</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string subject, string usage,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var certificate = request.Create(issuer, notBefore ?? now.AddDays(-1), notAfter ?? now.AddMonths(1), serial);
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A client certificate the server accepts.</summary>
    public static X509Certificate2 GoodClient() => Issue(Ca, "CN=good client", ClientAuth);

    public static X509Certificate2 OtherCaClient() => Issue(OtherCa, "CN=other CA client", ClientAuth);

    public static X509Certificate2 ExpiredClient() => Issue(Ca, "CN=expired client", ClientAuth,
        DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));

    public static X509Certificate2 ServerAuthOnlyClient() => Issue(Ca, "CN=server-auth-only client", ServerAuth);

    /// <summary>PEM of a certificate, and of its private key (PKCS#8).</summary>
    public static (string Certificate, string Key) Pem(X509Certificate2 certificate) =>
        (certificate.ExportCertificatePem(), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
}
