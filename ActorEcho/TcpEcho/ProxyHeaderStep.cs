using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Edge;
using Akka.Actor;
using Akka.IO;

namespace ActorEcho.TcpEcho;

/// <summary>
/// The PROXY protocol's first step of a connection from a trusted balancer (docs/edge.md), the same for every kind of
/// connection: read the header (split across reads or not, bounded by <see cref="ProxyProtocolParser.MaxHeaderLength"/>),
/// never echo it, within <c>proxy-protocol.header-timeout</c>, then ask the listener to admit the client it names
/// (<see cref="EchoProtocol.AdmissionRequest"/>). <see cref="EchoConnection"/> then echoes the bytes after the header;
/// a transport with a handshake (TLS) starts it with them. The actor gives the step every message of its
/// header state and does what the <see cref="ProxyStepOutcome"/> says; reads, closes and logs stay the actor's own.
/// </summary>
public sealed class ProxyHeaderStep
{
    private readonly ProxyHeaderReader _reader;
    private readonly IActorRef _listener;
    private readonly IActorRef _self;
    private ITimerScheduler? _timers;

    /// <param name="balancer">The socket's peer, a trusted balancer.</param>
    /// <param name="listener">Who admits the client: the connection actor's parent.</param>
    public ProxyHeaderStep(ProxyProtocolMode mode, IPEndPoint balancer, IActorRef listener, IActorRef self)
    {
        _reader = new ProxyHeaderReader(mode);
        Balancer = balancer;
        _listener = listener;
        _self = self;
    }

    public IPEndPoint Balancer { get; }

    /// <summary>Once the header is read: the client it names, or the socket's peer for LOCAL and UNKNOWN.</summary>
    public IPEndPoint? Client { get; private set; }

    /// <summary>Once admitted: the data that came with the end of the header.</summary>
    public ByteString AfterHeader { get; private set; } = ByteString.Empty;

    /// <summary>Once admitted: the peer half-closed while the listener decided.</summary>
    public bool PeerClosedEarly { get; private set; }

    /// <summary>With <see cref="ProxyStepOutcome.Close"/>: why.</summary>
    public CloseReason CloseReason { get; private set; }

    /// <summary>With <see cref="ProxyStepOutcome.Close"/>: why, in a few words.</summary>
    public string Why { get; private set; } = "";

    /// <summary>Starts the header timer; called from the actor's PreStart (its timers exist from then on).</summary>
    public void Start(ITimerScheduler timers, TimeSpan headerTimeout)
    {
        _timers = timers;
        timers.StartSingleTimer(EchoProtocol.ProxyHeaderTimedOut.Instance, EchoProtocol.ProxyHeaderTimedOut.Instance, headerTimeout);
    }

    /// <summary>Stops the header timer: the connection is going before the header was read.</summary>
    public void Cancel() => _timers?.Cancel(EchoProtocol.ProxyHeaderTimedOut.Instance);

    public ProxyStepOutcome Handle(object message)
    {
        switch (message)
        {
            case Tcp.Received received when Client is null:
                return OnHeaderBytes(received.Data);
            case EchoProtocol.ProxyHeaderTimedOut when Client is null:
                return Closing(CloseReason.ProxyHeaderTimeout, "no PROXY header within the header timeout");
            case Tcp.PeerClosed when Client is null:
                Cancel();
                return Closing(CloseReason.ProxyHeaderInvalid, "closed before a complete PROXY header");
            case Tcp.PeerClosed:
                PeerClosedEarly = true;
                return ProxyStepOutcome.Waiting;
            case EchoProtocol.AdmissionGranted:
                return ProxyStepOutcome.Admitted;
            case EchoProtocol.AdmissionRefused refused:
                AfterHeader = ByteString.Empty;
                return Closing(CloseReason.Refused, $"client {Client} refused: {refused.Reason}");
            case EchoProtocol.ProxyHeaderTimedOut:
                return ProxyStepOutcome.Waiting;
            default:
                return ProxyStepOutcome.NotHandled;
        }
    }

    private ProxyStepOutcome OnHeaderBytes(ByteString data)
    {
        // Only a header's worth of this read can be header (a read may be a whole frame of data besides).
        switch (_reader.Append(data.Slice(0, Math.Min(data.Count, ProxyProtocolParser.MaxHeaderLength)).ToArray()))
        {
            case ProxyParseStatus.NeedMore:
                return ProxyStepOutcome.ReadMore;
            case ProxyParseStatus.Invalid:
                Cancel();
                return Closing(CloseReason.ProxyHeaderInvalid, _reader.Error ?? "invalid PROXY header");
        }
        Cancel();
        Client = _reader.Header!.Source ?? Balancer;
        AfterHeader = data.Slice(_reader.DataStart);
        _listener.Tell(new EchoProtocol.AdmissionRequest(Client, Balancer), _self);
        return ProxyStepOutcome.HeaderRead;
    }

    private ProxyStepOutcome Closing(CloseReason reason, string why)
    {
        CloseReason = reason;
        Why = why;
        return ProxyStepOutcome.Close;
    }
}
