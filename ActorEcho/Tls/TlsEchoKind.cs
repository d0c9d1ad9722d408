using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using Akka.Actor;

namespace ActorEcho.Tls;

/// <summary>The TLS listener's kind of connection: an <see cref="EchoConnection"/> over a <see cref="TlsTransport"/>,
/// with the shared credentials and the handshake timeout. A PROXY header (TLS passthrough behind a balancer, HAProxy
/// <c>send-proxy-v2</c> in TCP mode) comes before the ClientHello, as on the plain listener.</summary>
public sealed record TlsEchoKind(TlsServerCredentials Credentials, TimeSpan HandshakeTimeout) : ConnectionKind("tls")
{
    public override EchoTransport CreateTransport(IActorRef connection, IActorContext context, EchoSettings settings,
        bool keepOpenOnPeerClosed) =>
        new TlsTransport(connection, context, this);
}
