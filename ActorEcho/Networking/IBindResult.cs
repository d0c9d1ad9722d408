using System.Net;

namespace ActorEcho.Networking;

/// <summary>
/// A listener's answer to its bind question (the TCP and TLS listeners' <c>EchoProtocol.GetBindResult</c>, the UDP
/// echo's <c>UdpEchoProtocol.GetBindResult</c>): where it listens, or why it cannot. Every listener answers in this
/// one shape, so that the host waits for each bind the same way (<c>Hosting/ListenerBind</c>); it lives here, below
/// every listener, so that the UDP echo need not depend on the TCP one for it.
/// </summary>
public interface IBindResult
{
    /// <summary>Where the listener listens, with its real port; null when the bind failed.</summary>
    IPEndPoint? Bound { get; }

    /// <summary>Why the bind failed, one line for the user; null when it succeeded.</summary>
    string? FailureReason { get; }
}
