namespace ActorEcho.Configuration;

/// <summary>Whether the TLS listener asks its clients for a certificate (<c>actor-echo.tls.client-certificate</c>).</summary>
public enum ClientCertificateMode
{
    /// <summary>No certificate is asked for.</summary>
    Off,

    /// <summary>Asked for; a client without one is served, a client with one that does not verify is refused.</summary>
    Optional,

    /// <summary>Asked for; a client without one, or with one that does not verify, is refused.</summary>
    Required,
}
