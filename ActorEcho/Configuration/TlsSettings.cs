using System.Net.Security;
using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// The <c>actor-echo.tls</c> section, read once at start-up: the TLS listener, off unless <c>bind-address</c> is set.
/// Every key, its default and why is documented in <c>akka.hocon</c>; docs/tls.md says how it works.
/// </summary>
public sealed record TlsSettings
{
    public const string SectionName = "actor-echo.tls";

    /// <summary>The word for a certificate made at start (<c>SelfSignedCertificate</c>, in Tls/).</summary>
    public const string SelfSigned = "self-signed";

    /// <summary>TLS off: <c>bind-address = off</c>.</summary>
    public static TlsSettings Off { get; } = new();

    /// <summary>Address to serve TLS on (<c>127.0.0.1:2443</c>), or <c>null</c> for no TLS listener.</summary>
    public string? BindAddress { get; init; }

    /// <summary>A PEM certificate chain (with <see cref="PrivateKey"/>), a PKCS#12 file, or <see cref="SelfSigned"/>;
    /// <c>null</c>: none configured (an error when TLS is on).</summary>
    public string? Certificate { get; init; }

    /// <summary>The PEM private key of a PEM <see cref="Certificate"/>.</summary>
    public string? PrivateKey { get; init; }

    /// <summary>Name of the environment variable holding the PKCS#12 file's password, or <c>null</c>: no password.</summary>
    public string? Pkcs12PasswordVariable { get; init; }

    public ClientCertificateMode ClientCertificate { get; init; } = ClientCertificateMode.Off;

    /// <summary>PEM bundle of the CAs a client certificate must chain to (and nothing else).</summary>
    public string? ClientCa { get; init; }

    /// <summary>Whether a change to the files of <see cref="WatchedFiles"/> reloads them without a signal.</summary>
    public bool WatchCertificates { get; init; } = true;

    /// <summary>The files the credentials are read from: the certificate (unless made at start), its key, and the
    /// client CA bundle when client certificates are asked for.</summary>
    public IReadOnlyList<string> WatchedFiles =>
        new[] { Certificate == SelfSigned ? null : Certificate, PrivateKey, ClientCertificate == ClientCertificateMode.Off ? null : ClientCa }
            .OfType<string>().ToArray();

    /// <summary>A client that has not finished its handshake this long after connecting is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The versions and suites offered: Mozilla's intermediate profile unless set.</summary>
    public TlsPolicy Policy { get; init; } = TlsPolicy.Intermediate;

    /// <summary>With <see cref="TlsPolicy.Custom"/>: the suites offered, by IANA name; empty otherwise.</summary>
    public IReadOnlyList<TlsCipherSuite> CipherSuites { get; init; } = [];

    public bool IsOn => BindAddress is not null;

    /// <summary>Reads <c>actor-echo.tls</c> and checks it (<see cref="Validate"/>).</summary>
    /// <exception cref="SettingsException">a key is missing, malformed, or the keys do not fit together.</exception>
    public static TlsSettings Create(Config config)
    {
        var section = SettingsSection.Get(config, SectionName);
        var settings = new TlsSettings
        {
            BindAddress = Read(section, "bind-address", OptionalString),
            Certificate = Read(section, "certificate", OptionalString),
            PrivateKey = Read(section, "private-key", OptionalString),
            Pkcs12PasswordVariable = Read(section, "pkcs12-password-env", OptionalString),
            ClientCertificate = Read(section, "client-certificate", Mode),
            ClientCa = Read(section, "client-ca", OptionalString),
            HandshakeTimeout = Read(section, "handshake-timeout", Duration),
            WatchCertificates = Read(section, "watch-certificates", EchoSettings.Boolean),
            Policy = Read(section, "policy", PolicyOf),
            CipherSuites = Read(section, "cipher-suites", SuiteNames),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>The settings with the TLS listener on <paramref name="address"/> (<c>serve --tls ADDRESS</c>), checked.</summary>
    /// <exception cref="SettingsException">the keys do not fit together.</exception>
    public TlsSettings WithBindAddress(string address)
    {
        var settings = this with { BindAddress = address.Trim() };
        settings.Validate();
        return settings;
    }

    /// <summary>Checks the keys against each other when TLS is on; the files themselves are read when the listener
    /// starts (<c>TlsServerCredentials.Load</c>, in Tls/).</summary>
    /// <exception cref="SettingsException">they do not fit.</exception>
    public void Validate()
    {
        if (Policy != TlsPolicy.Custom && CipherSuites.Count > 0)
            throw new SettingsException(
                $"{SectionName}.cipher-suites is read only with {SectionName}.policy = custom, not {Policy.ToString().ToLowerInvariant()}: remove it or set the policy to custom");
        if (!IsOn)
            return;
        if (Policy == TlsPolicy.Custom && CipherSuites.Count == 0)
            throw new SettingsException(
                $"{SectionName}.policy = custom needs {SectionName}.cipher-suites: a list of IANA names such as \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"");
        if (Certificate is null)
            throw new SettingsException(
                $"{SectionName}.bind-address is set but {SectionName}.certificate is not: name a PEM or PKCS#12 file, or \"{SelfSigned}\"");
        if (ClientCertificate != ClientCertificateMode.Off && ClientCa is null)
            throw new SettingsException(
                $"{SectionName}.client-certificate = {ClientCertificate.ToString().ToLowerInvariant()} needs {SectionName}.client-ca (a PEM bundle of the CAs to trust)");
    }

    /// <summary>Reads one key of this section, which must be there (<see cref="SettingsSection.Read{T}"/>).</summary>
    private static T Read<T>(Config section, string key, Func<Config, string, T> read)
    {
        SettingsSection.Require(SectionName, section, key);
        return SettingsSection.Read(SectionName, section, key, read);
    }

    private static string? OptionalString(Config section, string key) => SettingsSection.OptionalString(section, key);

    private static ClientCertificateMode Mode(Config section, string key) =>
        section.GetString(key)?.Trim().ToLowerInvariant() switch
        {
            "off" or "false" => ClientCertificateMode.Off,
            "optional" => ClientCertificateMode.Optional,
            "required" => ClientCertificateMode.Required,
            var other => throw new SettingsException($"{SectionName}.{key} must be off, optional or required, got '{other}'"),
        };

    private static TlsPolicy PolicyOf(Config section, string key) =>
        section.GetString(key)?.Trim().ToLowerInvariant() switch
        {
            "intermediate" => TlsPolicy.Intermediate,
            "modern" => TlsPolicy.Modern,
            "custom" => TlsPolicy.Custom,
            var other => throw new SettingsException($"{SectionName}.{key} must be intermediate, modern or custom, got '{other}'"),
        };

    /// <summary>IANA names (<c>TLS_AES_128_GCM_SHA256</c>), as .NET's <see cref="TlsCipherSuite"/> spells them; a number
    /// or an unknown name is refused.</summary>
    private static TlsCipherSuite[] SuiteNames(Config section, string key) =>
        section.GetStringList(key).Select(name => name.Trim()).Select(name =>
            name.StartsWith("TLS_", StringComparison.Ordinal) && Enum.TryParse<TlsCipherSuite>(name, ignoreCase: false, out var suite) && Enum.IsDefined(suite)
                ? suite
                : throw new SettingsException($"{SectionName}.{key}: unknown cipher suite '{name}' (IANA names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"))
        .ToArray();

    private static TimeSpan Duration(Config section, string key) => SettingsSection.Duration(SectionName, section, key);
}
