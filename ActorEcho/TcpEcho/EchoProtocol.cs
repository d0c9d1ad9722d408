using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.Networking;
using Akka.Actor;
using Akka.IO;

namespace ActorEcho.TcpEcho;

/// <summary>
/// The TCP echo's messages, the plain and the TLS listener's alike, in one container as Akka.IO's <c>Tcp</c> holds
/// its own: what the host asks an <see cref="EchoListener"/>, what the listener and an <see cref="EchoConnection"/>
/// tell each other, and what a connection hears from its <see cref="EchoTransport"/>, its PROXY header step and its
/// idle clock. All immutable. A timer that one actor starts and only it receives stays private in that actor (the
/// listener's drain timers, the connection's quiet check, drain linger and handshake timeout).
/// </summary>
public static class EchoProtocol
{
    // Host → listener: the bind, the two phases of shutdown, queries.

    /// <summary>Asks for the outcome of the bind; answered with <see cref="BindSucceeded"/> or <see cref="BindFailed"/>.</summary>
    public sealed class GetBindResult
    {
        public static readonly GetBindResult Instance = new();
        private GetBindResult() { }
    }

    /// <summary>The outcome of the bind, the answer to <see cref="GetBindResult"/>.</summary>
    public abstract record BindResult : IBindResult
    {
        IPEndPoint? IBindResult.Bound => (this as BindSucceeded)?.LocalAddress as IPEndPoint;
        string? IBindResult.FailureReason => (this as BindFailed)?.Reason;
    }

    public sealed record BindSucceeded(EndPoint LocalAddress) : BindResult;

    public sealed record BindFailed(string Reason) : BindResult;

    /// <summary>Shutdown, first phase: the server is going away. Clients are still accepted (and served under the
    /// drain's rule once it starts: the listening socket cannot be closed early). Answered with
    /// <see cref="Akka.Done"/>.</summary>
    public sealed class StopAccepting
    {
        public static readonly StopAccepting Instance = new();
        private StopAccepting() { }
    }

    /// <summary>Shutdown, second phase: let every connection finish (until quiet, or closed by its client) and
    /// close; at <c>drain-timeout</c> the ones still receiving are finished at once, and any left
    /// <c>drain-linger</c> after that are aborted. Answered with <see cref="Akka.Done"/> once no connection is left
    /// and the listening socket is released.</summary>
    public sealed class DrainConnections
    {
        public static readonly DrainConnections Instance = new();
        private DrainConnections() { }
    }

    /// <summary>Asks for a snapshot of the counters; answered with <see cref="ListenerStats"/>.</summary>
    public sealed class GetStats
    {
        public static readonly GetStats Instance = new();
        private GetStats() { }
    }

    /// <summary>The listener's counters. The budget's use is read from the budget itself (the host, or the spec, made
    /// it and holds it): it changes with every write and ack, not only with the listener's own messages.</summary>
    public sealed record ListenerStats(int Active, long Accepted, long Rejected, long Closed);

    /// <summary>Asks for Akka.IO's listener actors, one per accept queue (<c>actor-echo.accept-queues</c>);
    /// answered with <see cref="AcceptQueueListeners"/> once all are bound.</summary>
    public sealed class GetAcceptQueues
    {
        public static readonly GetAcceptQueues Instance = new();
        private GetAcceptQueues() { }
    }

    public sealed record AcceptQueueListeners(IReadOnlyList<IActorRef> Listeners);

    /// <summary>A reload (SIGHUP): serve with <paramref name="Settings"/> from now on (admission, limits, new
    /// connections) and tell each open connection what it adopts (<see cref="SettingsChanged"/>); new connections are
    /// of <paramref name="Kind"/> (the TLS listener's with the new credentials; open ones keep theirs). The settings
    /// that need a restart are the ones in force already (the host keeps them). Answered with <see cref="Akka.Done"/>;
    /// a listener that is draining or released ignores it.</summary>
    public sealed record Reconfigure(EchoSettings Settings, ConnectionKind Kind);

    /// <summary>Asks for the listener's refusals by source (<c>GET /sources</c>); answered with <see cref="SourceRefusals"/>.</summary>
    public sealed class GetSourceRefusals
    {
        public static readonly GetSourceRefusals Instance = new();
        private GetSourceRefusals() { }
    }

    /// <summary>A copy of the listener's refusals by source and reason (at most <c>per-source.max-sources</c> sources,
    /// the most recently refused first).</summary>
    public sealed record SourceRefusals(IReadOnlyList<SourceRefusalCount> Sources);

    // Listener → connection: the drain.

    /// <summary>Sent by the listener at shutdown (and to each client it accepts during the drain): serve the
    /// client until it is quiet or closes, then close with FIN.</summary>
    public sealed class Drain
    {
        public static readonly Drain Instance = new();
        private Drain() { }
    }

    /// <summary>Sent by the listener when <c>drain-timeout</c> runs out: read no more, echo what was received,
    /// close with FIN, and reset the connection if it is still open <c>drain-linger</c> later.</summary>
    public sealed class DrainTimeoutReached
    {
        public static readonly DrainTimeoutReached Instance = new();
        private DrainTimeoutReached() { }
    }

    /// <summary>Sent by the listener on a reload: an open connection adopts <paramref name="Settings"/>' idle timeout
    /// (its idle clock restarts), watermarks and access log; the rest of what it serves with was fixed when it
    /// started (its transport, its PROXY header step).</summary>
    public sealed record SettingsChanged(EchoSettings Settings);

    // Connection ⇄ listener: the admission of the client a PROXY header names.

    /// <summary>
    /// Connection actor → listener: the header is read; <paramref name="Client"/> is the address it gave (or the
    /// socket's own, for LOCAL and UNKNOWN), <paramref name="Balancer"/> the socket's peer. The listener admits or
    /// refuses the client by its checks (per-source limits, allow and deny) because it owns the per-source counts: it
    /// sees every accept and every connection's end in one mailbox, so a count can never race with the close that
    /// lowers it, and the table stays one plain dictionary. The connection actor only reports what the header said
    /// and waits (reading nothing more, holding at most the rest of the read that ended the header) for the answer.
    /// </summary>
    public sealed record AdmissionRequest(IPEndPoint Client, IPEndPoint Balancer);

    /// <summary>Listener → connection actor: serve the client.</summary>
    public sealed class AdmissionGranted
    {
        public static readonly AdmissionGranted Instance = new();
        private AdmissionGranted() { }
    }

    /// <summary>Listener → connection actor: close at once, nothing echoed. <paramref name="Reason"/> is a
    /// <see cref="Refusal"/>.</summary>
    public sealed record AdmissionRefused(string Reason);

    // Transport → connection: acks and the handshake's outcome.

    /// <summary>The ack event of every echo write, whatever the transport: acks come in write order, so one shared
    /// event serves them all (the <see cref="EchoWindow"/> keeps the lengths).</summary>
    internal sealed class WriteAck : Tcp.Event
    {
        public static readonly WriteAck Instance = new();
        private WriteAck() { }
    }

    /// <summary>The handshake completed (<paramref name="Protocol"/>: its version, for the DEBUG log): the connection
    /// starts echoing.</summary>
    public sealed record TransportOpened(string Protocol);

    /// <summary>The handshake failed; <paramref name="Reason"/> is one of <see cref="EchoMetrics.HandshakeFailures"/>.
    /// The connection closes.</summary>
    public sealed record TransportOpenFailed(string Reason, string Detail);

    // Timers inside the connection whose messages others name too (the PROXY header step, specs).

    /// <summary>Timer: one tick of the connection's <see cref="IdleClock"/>.</summary>
    internal sealed class IdleTick
    {
        public static readonly IdleTick Instance = new();
        private IdleTick() { }
    }

    /// <summary>Timer: the PROXY header did not come within <c>proxy-protocol.header-timeout</c>
    /// (<see cref="ProxyHeaderStep"/>).</summary>
    public sealed class ProxyHeaderTimedOut
    {
        public static readonly ProxyHeaderTimedOut Instance = new();
        private ProxyHeaderTimedOut() { }
    }
}
