using ActorEcho.Diagnostics;
using Akka.Actor;

namespace ActorEcho.Networking;

/// <summary>Why a listener ends the actor system itself: its socket failed, so the server can no longer serve. For
/// TCP, Akka.IO's listener actor stopped (a fatal accept error, which takes every connection with it); for UDP, Akka.IO
/// lost or re-bound the datagram socket. Exit code 3, as for a failed bind. Here, below every listener, so that the
/// TCP and UDP listeners and the host (the lame duck, the serve command) share it.</summary>
public sealed class ListeningSocketLost(string message) : CoordinatedShutdown.Reason
{
    public string Message { get; } = message;
    public override int ExitCode => ExitCodes.NetworkError;
    public override string ToString() => Message;
}
