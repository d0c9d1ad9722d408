using System.Net;

namespace ActorEcho.Actors;

/// <summary>
/// A listener's answer to its bind question (<see cref="EchoListener.GetBindResult"/>,
/// <see cref="UdpEchoListener.GetBindResult"/>): where it listens, or why it cannot. Every listener answers in this
/// one shape, so that the host waits for each bind the same way (<c>Hosting/ListenerBind</c>).
/// </summary>
public interface IBindResult
{
    /// <summary>Where the listener listens, with its real port; null when the bind failed.</summary>
    IPEndPoint? Bound { get; }

    /// <summary>Why the bind failed, one line for the user; null when it succeeded.</summary>
    string? FailureReason { get; }
}
