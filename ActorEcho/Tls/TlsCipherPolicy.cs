using System.Net.Security;
using System.Security.Authentication;
using ActorEcho.Configuration;

namespace ActorEcho.Tls;

/// <summary>
/// The TLS versions and cipher suites the listener offers (<c>actor-echo.tls.policy</c>, docs/tls.md), applied to
/// every handshake's options. By default Mozilla's "intermediate" server profile: TLS 1.2 with ECDHE key exchange and
/// AEAD suites only, and TLS 1.3. OpenSSL's own TLS 1.2 list also offers CBC suites with HMAC-SHA1/SHA2
/// (ECDHE-RSA-AES256-SHA384, ECDHE-RSA-AES128-SHA256), which testssl.sh flags as potentially vulnerable to LUCKY13.
/// </summary>
public sealed class TlsCipherPolicy
{
    /// <summary>TLS 1.3's suites, all AEAD (RFC 8446).</summary>
    private static readonly TlsCipherSuite[] Tls13Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>Mozilla's intermediate TLS 1.2 suites, in its order: ECDHE (forward secrecy) with AES-GCM or
    /// ChaCha20-Poly1305; ECDSA and RSA certificates alike.</summary>
    private static readonly TlsCipherSuite[] IntermediateTls12Suites =
    [
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    public static TlsCipherPolicy Intermediate { get; } =
        new(TlsPolicy.Intermediate, SslProtocols.Tls12 | SslProtocols.Tls13, [.. Tls13Suites, .. IntermediateTls12Suites]);

    public static TlsCipherPolicy Modern { get; } = new(TlsPolicy.Modern, SslProtocols.Tls13, Tls13Suites);

    private TlsCipherPolicy(TlsPolicy name, SslProtocols protocols, IReadOnlyList<TlsCipherSuite> suites)
    {
        Name = name;
        Protocols = protocols;
        Suites = suites;
        // .NET applies a suite list on Linux and macOS (OpenSSL); Windows' Schannel takes its suites from the system
        // policy, so there the versions alone are set.
        if (!OperatingSystem.IsWindows())
            _suitesPolicy = new CipherSuitesPolicy(suites);
    }

    public TlsPolicy Name { get; }

    /// <summary>TLS 1.2 and 1.3, or 1.3 alone (<see cref="TlsPolicy.Modern"/>); never older (RFC 8996).</summary>
    public SslProtocols Protocols { get; }

    public IReadOnlyList<TlsCipherSuite> Suites { get; }

    private readonly CipherSuitesPolicy? _suitesPolicy;

    /// <summary>The policy <paramref name="settings"/> name: a profile, or their own list (<see cref="TlsPolicy.Custom"/>).</summary>
    public static TlsCipherPolicy For(TlsSettings settings) => settings.Policy switch
    {
        TlsPolicy.Modern => Modern,
        TlsPolicy.Custom => new(TlsPolicy.Custom, SslProtocols.Tls12 | SslProtocols.Tls13, settings.CipherSuites),
        _ => Intermediate,
    };

    /// <summary>Sets the versions and the suites on one handshake's options.</summary>
    public void ApplyTo(SslServerAuthenticationOptions options)
    {
        options.EnabledSslProtocols = Protocols;
        if (!OperatingSystem.IsWindows())
            options.CipherSuitesPolicy = _suitesPolicy;
    }
}
