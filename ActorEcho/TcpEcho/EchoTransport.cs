using Akka.Actor;
using Akka.IO;

namespace ActorEcho.TcpEcho;

/// <summary>
/// What lies between an <see cref="EchoConnection"/> and Akka.IO's connection actor: the one place where plain TCP
/// and TLS differ. The connection owns the connection's life (PROXY header, admission, echo, window, drain, close,
/// idle clock, report) and speaks Akka.IO's own vocabulary to its transport: it hands it every message first
/// (<see cref="Translate"/>), and gives it the commands Akka.IO takes (<see cref="Write"/>,
/// <see cref="ResumeReading"/>, <see cref="Close"/>). A transport turns what it receives into the same events,
/// whatever the wire carries: <see cref="Tcp.Received"/> (echo data), <see cref="EchoProtocol.WriteAck"/> (one per
/// <see cref="Write"/>, in order), <see cref="Tcp.PeerClosed"/>, <see cref="Tcp.ConnectionClosed"/>,
/// <see cref="Tcp.CommandFailed"/>; a transport with a handshake also <see cref="EchoProtocol.TransportOpened"/> or
/// <see cref="EchoProtocol.TransportOpenFailed"/>.
/// </summary>
/// <remarks>
/// The seam is an object inside the connection actor rather than a child actor or a stage: plain TCP then costs
/// nothing over Tells straight to Akka.IO (no hop, no second mailbox, which a reconnect storm of thousands would pay
/// for), and a transport's state lives on the actor's thread like the connection's own (docs/code-notes.md,
/// "The connection and its transports").
/// </remarks>
public abstract class EchoTransport
{
    protected EchoTransport(IActorRef connection) => Connection = connection;

    /// <summary>Akka.IO's connection actor.</summary>
    public IActorRef Connection { get; }

    /// <summary>How long the handshake may take (<see cref="Open"/> to <see cref="EchoProtocol.TransportOpened"/>); null: the transport
    /// has none, and the connection echoes from the start.</summary>
    public virtual TimeSpan? HandshakeTimeout => null;

    /// <summary>Akka.IO must keep the connection open on the client's FIN, for the connection (or the transport: TLS
    /// writes its close_notify after the echo) to finish the half-close.</summary>
    public abstract bool KeepOpenOnPeerClosed { get; }

    /// <summary>What the access log adds for this transport (TLS's fields); null: nothing.</summary>
    public virtual NegotiatedTls? AccessLogFields => null;

    /// <summary>Registers <paramref name="handler"/> with Akka.IO in pull mode, writes acknowledged.</summary>
    public void Register(IActorRef handler) =>
        Connection.Tell(new Tcp.Register(handler, KeepOpenOnPeerClosed, useResumeWriting: false));

    /// <summary>Starts the handshake (only where <see cref="HandshakeTimeout"/> is set) with the bytes that came
    /// before it (after a PROXY header); <paramref name="peerClosed"/>: the client's FIN came too.</summary>
    public virtual void Open(ByteString received, bool peerClosed) { }

    /// <summary>Every message the connection receives, first: what the connection handles (the message itself, or the
    /// event it stands for), or null when the transport consumed it.</summary>
    public abstract object? Translate(object message);

    /// <summary>Sends <paramref name="data"/> (not empty), acknowledged with one <see cref="EchoProtocol.WriteAck"/>.</summary>
    public abstract void Write(ByteString data);

    /// <summary>Asks for one more read (pull mode): one <see cref="Tcp.Received"/> or the end follows.</summary>
    public abstract void ResumeReading();

    /// <summary>Closes as <paramref name="command"/> says (for TLS, after our close_notify, except an abort). After a
    /// <see cref="Tcp.ConfirmedClose"/> reading goes on until the client's FIN, its data discarded
    /// (<paramref name="readPending"/>: a read asked for by the connection is still out).</summary>
    public abstract void Close(Tcp.CloseCommand command, bool readPending);

    /// <summary>The connection actor stopped: let go of whatever waits for it. Akka.IO's connection is aborted by the
    /// connection itself when still open.</summary>
    public virtual void Stopped() { }
}
