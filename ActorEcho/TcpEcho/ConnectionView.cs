using System.Net;
using ActorEcho.Configuration;

namespace ActorEcho.TcpEcho;

/// <summary>
/// What one open connection shows the live view (<c>GET /connections</c>, the status page): written by its
/// <see cref="EchoConnection"/> alone, read by the HTTP endpoint's threads without a lock. Each field is read whole
/// (references and longs are atomic on 64-bit), but a reading may mix two moments: a view, not an audit. Kept in a
/// <see cref="ConnectionTable"/> from the connection actor's start to its stop.
/// </summary>
public sealed class ConnectionView
{
    private static readonly string[] StateTexts =
        ["proxy-header", "handshaking", "echoing", "paused-by-window", "paused-by-budget", "draining", "closing"];

    /// <summary>The last <see cref="Sequence"/> given, process-wide.</summary>
    private static long _lastSequence;

    private long _bytesIn;
    private long _bytesOut;
    private long _lastActivityMs;
    private volatile string _client;
    private volatile string? _via;
    private volatile NegotiatedTls? _tls;
    private volatile IPAddress _clientAddress;
    private int _state;

    /// <param name="id">Unique among the open connections of the server: the listener's name and the actor's number
    /// (<c>tcp-17</c>, <c>tls-3</c>).</param>
    /// <param name="listener">The listener's address the client reached, as logged.</param>
    /// <param name="transport"><c>tcp</c> or <c>tls</c>.</param>
    /// <param name="peer">The socket's peer: the client, or the balancer until a PROXY header names the client.</param>
    public ConnectionView(string id, string listener, string transport, IPEndPoint peer, ConnectionState state)
    {
        Id = id;
        Listener = listener;
        Transport = transport;
        _client = EndpointParser.Format(peer);
        _clientAddress = peer.Address;
        _state = (int)state;
        StartedAtMs = Environment.TickCount64;
        _lastActivityMs = StartedAtMs;
    }

    /// <summary>The order in which the views were made, process-wide: oldest first without the ties of a
    /// millisecond clock (<c>?sort=age</c>).</summary>
    public long Sequence { get; } = Interlocked.Increment(ref _lastSequence);

    public string Id { get; }
    public string Listener { get; }
    public string Transport { get; }

    /// <summary>When the connection actor started, on <see cref="Environment.TickCount64"/>'s clock.</summary>
    public long StartedAtMs { get; }

    /// <summary>The client as logged: the socket's peer, or the client a PROXY header named.</summary>
    public string Client => _client;

    /// <summary>The client's address (for <c>?source=CIDR</c> and the top sources).</summary>
    public IPAddress ClientAddress => _clientAddress;

    /// <summary>The balancer a PROXY header came through, or null for a direct client.</summary>
    public string? Via => _via;

    /// <summary>What the TLS handshake settled; null before it completes and on plain TCP.</summary>
    public NegotiatedTls? Tls => _tls;

    public ConnectionState State => (ConnectionState)Volatile.Read(ref _state);

    /// <summary>The state's text: <c>echoing</c>, <c>paused-by-window</c>, ...</summary>
    public string StateText => StateTexts[(int)State];

    /// <summary>Data bytes read from the client (a PROXY header is not data).</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>Echo bytes acknowledged (handed to the kernel).</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>When data last arrived or an echo was acknowledged, on <see cref="Environment.TickCount64"/>'s clock.</summary>
    public long LastActivityMs => Volatile.Read(ref _lastActivityMs);

    // Writers: the connection actor only, one message at a time.

    internal void Received(long bytes)
    {
        Volatile.Write(ref _bytesIn, _bytesIn + bytes);
        Volatile.Write(ref _lastActivityMs, Environment.TickCount64);
    }

    internal void Sent(long bytes)
    {
        Volatile.Write(ref _bytesOut, _bytesOut + bytes);
        Volatile.Write(ref _lastActivityMs, Environment.TickCount64);
    }

    internal void MoveTo(ConnectionState state) => Volatile.Write(ref _state, (int)state);

    /// <summary>A PROXY header named the client, through <paramref name="balancer"/>.</summary>
    internal void ClientNamed(IPEndPoint client, IPEndPoint balancer)
    {
        _clientAddress = client.Address;
        _client = EndpointParser.Format(client);
        _via = EndpointParser.Format(balancer);
    }

    internal void Negotiated(NegotiatedTls tls) => _tls = tls;
}
