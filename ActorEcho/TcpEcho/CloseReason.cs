using ActorEcho.Diagnostics;

namespace ActorEcho.TcpEcho;

/// <summary>Why a served connection ended: the <c>reason</c> tag of <see cref="EchoMetrics.ConnectionsClosed"/>,
/// whose text is the member's name in kebab case (<see cref="CloseReasonTags.Text"/>: <c>peer-closed</c>,
/// <c>drain-timeout</c>, ...). Members are numbered in order from 0 (the tags are an array indexed by them).</summary>
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

    /// <summary>PROXY protocol on: no complete header within <c>proxy-protocol.header-timeout</c>; nothing echoed.</summary>
    ProxyHeaderTimeout,

    /// <summary>PROXY protocol on: the first bytes were not a valid header (or the peer closed before one was
    /// complete); nothing echoed.</summary>
    ProxyHeaderInvalid,

    /// <summary>PROXY protocol on: the client named by the header was refused (per-source limits, allow, deny;
    /// the reason is on <see cref="EchoMetrics.ConnectionsRejected"/>); nothing echoed.</summary>
    Refused,

    /// <summary>TLS only: the handshake did not complete (timeout, protocol error, refused certificate); nothing was
    /// echoed. The reason is counted on <see cref="EchoMetrics.TlsHandshakesFailed"/>.</summary>
    HandshakeFailed,

    /// <summary>The connection lived <c>max-connection-duration</c>: reading stopped, what it had sent was echoed,
    /// then FIN (reset if the client did not close within <c>drain-linger</c>).</summary>
    DurationLimit,

    /// <summary>The client sent <c>max-bytes-per-connection</c>: that many bytes were echoed (the rest of the read that
    /// crossed it discarded), then FIN as for <see cref="DurationLimit"/>.</summary>
    ByteLimit,
}
