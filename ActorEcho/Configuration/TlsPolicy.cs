namespace ActorEcho.Configuration;

/// <summary>Which TLS versions and cipher suites the TLS listener offers (<c>actor-echo.tls.policy</c>): Mozilla's
/// server-side TLS profiles, or an explicit list.</summary>
public enum TlsPolicy
{
    /// <summary>Mozilla "intermediate": TLS 1.2 with ECDHE and AEAD suites only (AES-GCM, ChaCha20-Poly1305), and
    /// TLS 1.3.</summary>
    Intermediate = 0,

    /// <summary>Mozilla "modern": TLS 1.3 only.</summary>
    Modern = 1,

    /// <summary>TLS 1.2 and 1.3 with the suites <c>tls.cipher-suites</c> names.</summary>
    Custom = 2,
}
