using System.Net;
using ActorEcho.Configuration;
using Akka.Actor;

namespace ActorEcho.TcpEcho;

/// <summary>
/// What kind of connection an <see cref="EchoListener"/> serves: the <see cref="EchoTransport"/> beneath each
/// accepted client's <see cref="EchoConnection"/> (the one connection actor, whatever the kind), and the
/// <c>listener</c> tag of its metrics. Immutable, shared by all of the listener's connections.
/// </summary>
public abstract record ConnectionKind
{
    private const string ListenerKey = "listener";

    /// <summary>Plain TCP echo (<see cref="PlainTransport"/>): the main listener.</summary>
    public static ConnectionKind PlainEcho { get; } = new Plain();

    protected ConnectionKind(string listenerName)
    {
        ListenerName = listenerName;
        ListenerTag = new KeyValuePair<string, object?>(ListenerKey, listenerName);
    }

    /// <summary>The <c>listener</c> tag's value: <c>tcp</c>, <c>tls</c>.</summary>
    public string ListenerName { get; }

    /// <summary>The <c>listener</c> tag, cached: recording it allocates nothing.</summary>
    public KeyValuePair<string, object?> ListenerTag { get; }

    /// <summary>The actor for one accepted connection (see <see cref="EchoConnection.Props(IActorRef, EndPoint, EndPoint, EchoSettings, EchoBudget, ConnectionKind, bool, ConnectionTable?)"/>).</summary>
    /// <param name="local">The listener's address the client reached.</param>
    /// <param name="expectProxyHeader">The peer is a trusted balancer whose PROXY header comes first.</param>
    /// <param name="connections">The live view the connection publishes itself in (null: one of its own).</param>
    public Props ConnectionProps(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings,
        EchoBudget budget, bool expectProxyHeader, ConnectionTable? connections = null) =>
        EchoConnection.Props(connection, remote, local, settings, budget, this, expectProxyHeader, connections);

    /// <summary>The transport beneath one connection actor (<paramref name="context"/>'s), made in its constructor.</summary>
    /// <param name="keepOpenOnPeerClosed">The connection finishes the client's half-close itself (a PROXY client).</param>
    public abstract EchoTransport CreateTransport(IActorRef connection, IActorContext context, EchoSettings settings,
        bool keepOpenOnPeerClosed);

    private sealed record Plain() : ConnectionKind("tcp")
    {
        public override EchoTransport CreateTransport(IActorRef connection, IActorContext context, EchoSettings settings,
            bool keepOpenOnPeerClosed) =>
            new PlainTransport(connection, keepOpenOnPeerClosed);
    }
}
