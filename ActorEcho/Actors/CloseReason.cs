using ActorEcho.Diagnostics;

namespace ActorEcho.Actors;

/// <summary>Why a served connection ended: the <c>reason</c> tag of <see cref="EchoMetrics.ConnectionsClosed"/>
/// (its text is in <see cref="EchoMetrics.Reasons"/>).</summary>
public enum CloseReason
{
    /// <summary>The client closed its side (FIN); everything it sent was echoed, then the server closed.</summary>
    PeerClosed,

    /// <summary>No traffic either way for <c>idle-timeout</c>: the server closed the connection (FIN).</summary>
    IdleTimeout,

    /// <summary>The client stopped reading its echo for <c>idle-timeout</c>: the server aborted (RST).</summary>
    SlowReader,

    /// <summary>Closed with FIN during a graceful shutdown, once quiet (<c>drain-quiet</c>).</summary>
    Drained,

    /// <summary>Still receiving (or finishing its echo) when <c>drain-timeout</c> ran out: what it had sent was
    /// echoed, then FIN; reset if it could not close within <c>drain-linger</c>.</summary>
    DrainTimeout,

    /// <summary>The client reset the connection (RST), or the socket failed.</summary>
    Error,

    /// <summary>The connection was aborted after Akka.IO refused a command.</summary>
    Aborted,

    /// <summary>The connection actor threw; supervision stopped it and its connection was aborted.</summary>
    Failed,

    /// <summary>The connection actor was stopped from outside (e.g. the actor system shut down).</summary>
    Stopped,

    /// <summary>TLS only: the handshake did not complete (timeout, protocol error, refused certificate); nothing was
    /// echoed. The reason is counted on <see cref="EchoMetrics.TlsHandshakesFailed"/>.</summary>
    HandshakeFailed,
}
