using System.Net;
using ActorEcho.Configuration;
using Akka.Actor;

namespace ActorEcho.Actors;

/// <summary>
/// What kind of connection an <see cref="EchoListener"/> serves: which actor it spawns for each accepted client, and
/// the <c>listener</c> tag of its metrics. Immutable, shared by all of the listener's connections. Every kind's
/// actor answers <see cref="EchoConnection.Drain"/> and <see cref="EchoConnection.DrainTimeoutReached"/>, and
/// never stops while its connection is open.
/// </summary>
public abstract record ConnectionKind
{
    private const string ListenerKey = "listener";

    /// <summary>Plain TCP echo (<see cref="EchoConnection"/>): the main listener.</summary>
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

    /// <summary>The actor for one accepted connection (the generic <c>Props.Create&lt;T&gt;(args)</c>, never the
    /// expression form: see <see cref="EchoConnection.Props"/>).</summary>
    /// <param name="local">The listener's address the client reached.</param>
    /// <param name="expectProxyHeader">The peer is a trusted balancer whose PROXY header comes first (only where
    /// <see cref="ReadsProxyHeader"/>).</param>
    public abstract Props ConnectionProps(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings,
        EchoBudget budget, bool expectProxyHeader);

    /// <summary>Whether this kind's connections read a PROXY header before anything else when the PROXY protocol is
    /// on (docs/edge.md); a kind that does not treats every peer as the client.</summary>
    public virtual bool ReadsProxyHeader => false;

    private sealed record Plain() : ConnectionKind("tcp")
    {
        public override bool ReadsProxyHeader => true;

        public override Props ConnectionProps(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings,
            EchoBudget budget, bool expectProxyHeader) =>
            EchoConnection.Props(connection, remote, local, settings, budget, expectProxyHeader);
    }
}
