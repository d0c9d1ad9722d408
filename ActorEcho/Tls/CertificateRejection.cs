namespace ActorEcho.Tls;

/// <summary>Per connection: why its client certificate was refused, written by the validation callback (on the
/// handshake's thread) and read by the handshake's continuation after it, never by the actor.</summary>
public sealed class CertificateRejection
{
    private volatile string? _reason;

    public string? Reason => _reason;

    /// <summary>Records <paramref name="reason"/> (null: accepted) and answers the callback: accepted or not.</summary>
    internal bool Record(string? reason)
    {
        _reason = reason;
        return reason is null;
    }
}
