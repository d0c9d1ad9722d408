using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;

namespace ActorEcho.Tls;

/// <summary>
/// What every TLS connection of the listener shares, made once at start from <see cref="TlsSettings"/>: the server's
/// certificate context (certificate, key and chain) and the client-certificate policy. Immutable and thread-safe;
/// each connection gets its own <see cref="SslServerAuthenticationOptions"/> from <see cref="OptionsFor"/>.
/// </summary>
public sealed class TlsServerCredentials
{
    /// <summary>TLS 1.2 and 1.3 only: older versions have known attacks (BEAST, POODLE, weak MACs), are prohibited by
    /// RFC 8996, and every client of the last decade speaks 1.2.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly SslStreamCertificateContext _context;
    private readonly ClientCertificateMode _clientMode;
    private readonly X509Certificate2Collection _clientCa;

    private TlsServerCredentials(X509Certificate2 certificate, SslStreamCertificateContext context,
        ClientCertificateMode clientMode, X509Certificate2Collection clientCa)
    {
        Certificate = certificate;
        _context = context;
        _clientMode = clientMode;
        _clientCa = clientCa;
    }

    /// <summary>The versions and cipher suites offered (<c>tls.policy</c>): Mozilla's intermediate profile unless
    /// <see cref="WithCipherPolicy"/> says otherwise.</summary>
    public TlsCipherPolicy CipherPolicy { get; private init; } = TlsCipherPolicy.Intermediate;

    /// <summary>The same credentials offering <paramref name="policy"/>'s versions and suites.</summary>
    public TlsServerCredentials WithCipherPolicy(TlsCipherPolicy policy) =>
        new(Certificate, _context, _clientMode, _clientCa) { CipherPolicy = policy };

    /// <summary>The server's own certificate (with its private key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the server certificate, as hex pairs joined by ':' (openssl's form).</summary>
    public string Fingerprint => Convert.ToHexString(SHA256.HashData(Certificate.RawData)).Chunk(2)
        .Select(pair => new string(pair)).Aggregate((a, b) => a + ":" + b);

    /// <summary>Reads the certificate, key and client CA bundle that <paramref name="settings"/> name.</summary>
    /// <param name="bindHost">The TLS bind host: a self-signed certificate also names it.</param>
    /// <exception cref="SettingsException">a file is missing or unreadable, a key does not match, a password variable
    /// is unset.</exception>
    public static TlsServerCredentials Load(TlsSettings settings, string? bindHost)
    {
        var certificate = settings.Certificate == TlsSettings.SelfSigned
            ? SelfSignedCertificate.Create(bindHost)
            : LoadCertificate(settings);
        var intermediates = settings.Certificate == TlsSettings.SelfSigned ? [] : LoadIntermediates(settings, certificate);
        var clientCa = settings.ClientCertificate == ClientCertificateMode.Off ? [] : LoadClientCa(settings.ClientCa!);
        return FromCertificate(certificate, intermediates, settings.ClientCertificate, clientCa)
            .WithCipherPolicy(TlsCipherPolicy.For(settings));
    }

    /// <summary>Credentials from certificates already in memory (specs).</summary>
    public static TlsServerCredentials FromCertificate(X509Certificate2 certificate, X509Certificate2Collection intermediates,
        ClientCertificateMode clientMode, X509Certificate2Collection clientCa)
    {
        // offline: do not fetch missing intermediates over the network at start.
        var context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        return new TlsServerCredentials(certificate, context, clientMode, clientCa);
    }

    /// <summary>The options for one connection's handshake. A client certificate that does not verify is recorded in
    /// <paramref name="rejection"/> so that the failure is counted as a certificate failure.</summary>
    public SslServerAuthenticationOptions OptionsFor(CertificateRejection rejection)
    {
        var options = Options(rejection);
        CipherPolicy.ApplyTo(options);
        return options;
    }

    private SslServerAuthenticationOptions Options(CertificateRejection rejection) => new()
    {
        ServerCertificateContext = _context,
        EnabledSslProtocols = Protocols,
        // A renegotiation is a second handshake mid-stream: nothing an echo needs, and a CPU lever for a client.
        AllowRenegotiation = false,
        ClientCertificateRequired = _clientMode != ClientCertificateMode.Off,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = _clientMode == ClientCertificateMode.Off
            ? null
            : (_, certificate, chain, _) => rejection.Record(VerifyClient(certificate, chain)),
    };

    /// <summary>Why a client certificate is refused, or <c>null</c> when it is accepted. It must chain to client-ca
    /// alone (never the system store), be within its validity dates and allow client authentication. Revocation is
    /// not checked: client-ca is the operator's own CA, and CRL/OCSP fetches at handshake time would let a client
    /// make the server reach out over the network.</summary>
    internal string? VerifyClient(X509Certificate? presented, X509Chain? sent)
    {
        if (presented is null)
            return _clientMode == ClientCertificateMode.Required ? "no client certificate" : null;
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        // Intermediates the client sent may help build the chain; only client-ca's roots are trusted.
        if (sent is not null)
            foreach (var element in sent.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(certificate))
            return null;
        return string.Join(", ", chain.ChainStatus.Select(status => status.Status.ToString()).Distinct());
    }

    /// <summary>The certificate with a private key that SslStream can use on every platform: one made or read in
    /// memory has an ephemeral key, which SslStream refuses on Windows; a round trip through PKCS#12 gives it a
    /// persisted one. (On Linux the ephemeral key works as it is; the round trip costs a few ms once, at start.)</summary>
    /// <summary>The message without .NET's " (Parameter 'privateKey')", which names no setting.</summary>
    private static string WithoutParameterName(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;

    internal static X509Certificate2 WithUsableKey(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private static X509Certificate2 LoadCertificate(TlsSettings settings)
    {
        var path = settings.Certificate!;
        var bytes = ReadFile(path, "certificate");
        try
        {
            if (LooksLikePem(bytes))
            {
                if (settings.PrivateKey is null)
                    throw new SettingsException($"{TlsSettings.SectionName}.certificate '{path}' is PEM: set {TlsSettings.SectionName}.private-key to its key file");
                _ = ReadFile(settings.PrivateKey, "private-key");
                using var pem = X509Certificate2.CreateFromPemFile(path, settings.PrivateKey);
                return WithUsableKey(pem);
            }
            var password = Pkcs12Password(settings);
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            if (!certificate.HasPrivateKey)
                throw new SettingsException($"{TlsSettings.SectionName}.certificate '{path}' holds no private key");
            return certificate;
        }
        catch (Exception e) when (IsUnusableCertificate(e))
        {
            throw new SettingsException($"{TlsSettings.SectionName}.certificate '{path}': cannot load it: {OneLine.Of(WithoutParameterName(e))}");
        }
    }

    /// <summary>The chain's other certificates: all in the file but the server's own.</summary>
    private static X509Certificate2Collection LoadIntermediates(TlsSettings settings, X509Certificate2 leaf)
    {
        var all = new X509Certificate2Collection();
        try
        {
            if (LooksLikePem(ReadFile(settings.Certificate!, "certificate")))
                all.ImportFromPemFile(settings.Certificate!);
            else
                all.AddRange(X509CertificateLoader.LoadPkcs12CollectionFromFile(settings.Certificate!, Pkcs12Password(settings)));
        }
        catch (CryptographicException e)
        {
            throw new SettingsException($"{TlsSettings.SectionName}.certificate '{settings.Certificate}': cannot read its chain: {OneLine.Of(e.Message)}");
        }
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
            if (certificate.Thumbprint != leaf.Thumbprint)
                intermediates.Add(certificate);
        return intermediates;
    }

    private static X509Certificate2Collection LoadClientCa(string path)
    {
        _ = ReadFile(path, "client-ca");
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new SettingsException($"{TlsSettings.SectionName}.client-ca '{path}': cannot read it: {OneLine.Of(e.Message)}");
        }
        if (bundle.Count == 0)
            throw new SettingsException($"{TlsSettings.SectionName}.client-ca '{path}' holds no PEM certificate");
        return bundle;
    }

    /// <summary>The password from the variable pkcs12-password-env names (never from the configuration file).</summary>
    private static string? Pkcs12Password(TlsSettings settings)
    {
        if (settings.Pkcs12PasswordVariable is not { } variable)
            return null;
        return Environment.GetEnvironmentVariable(variable)
               ?? throw new SettingsException($"{TlsSettings.SectionName}.pkcs12-password-env names {variable}, which is not set");
    }

    private static byte[] ReadFile(string path, string key)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (FileErrors.IsUnreadable(e))
        {
            throw new SettingsException($"{TlsSettings.SectionName}.{key} '{path}': cannot read it: {OneLine.Of(e.Message)}");
        }
    }

    /// <summary>A certificate or key file that cannot be loaded: not a certificate, a wrong password or key
    /// (CryptographicException), or not readable. The server's credentials and the client's (<c>--cert</c>,
    /// <c>--ca</c>) alike.</summary>
    internal static bool IsUnusableCertificate(Exception e) => e is CryptographicException || FileErrors.IsUnreadable(e);

    private static bool LooksLikePem(byte[] bytes) =>
        System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 4096)).Contains("-----BEGIN ", StringComparison.Ordinal);
}
