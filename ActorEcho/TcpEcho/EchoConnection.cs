using System.Diagnostics;
using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using static ActorEcho.TcpEcho.EchoProtocol;

namespace ActorEcho.TcpEcho;

/// <summary>
/// Echoes one accepted connection, plain TCP or TLS alike: the only actor that owns a connection's life. What differs
/// between the two lies beneath it, in its <see cref="EchoTransport"/> (<see cref="PlainTransport"/>: Tells straight to
/// Akka.IO; the TLS transport: SslStream over the ciphertext), which speaks Akka.IO's own events and commands. The
/// connection is bound in pull mode: Akka.IO reads from the socket only when asked (<see cref="Tcp.ResumeReading"/>),
/// once per request. That request is the server's only backpressure towards the client, so it is sent only while the
/// <see cref="EchoWindow"/> (the echo bytes written but not yet acknowledged) allows it. Memory per connection is
/// therefore bounded by the high watermark plus one frame, whatever the client sends and however slowly it reads.
/// </summary>
/// <remarks>
/// <para>States:</para>
/// <list type="bullet">
/// <item><see cref="ReadingProxyHeader"/> (PROXY protocol on, the peer a trusted balancer): reads the header,
/// echoes nothing, then asks the listener to admit the client it names (<see cref="ProxyHeaderStep"/>);
/// docs/edge.md.</item>
/// <item><see cref="Handshaking"/> (a transport with a handshake: TLS): until the transport has
/// <see cref="TransportOpened"/>, within its handshake timeout.</item>
/// <item><see cref="Echoing"/>: reads, echoes, reads again as the window allows.</item>
/// <item><see cref="Draining"/>: the server is shutting down. Echoing goes on as before until the connection is
/// quiet (every echo byte acknowledged, nothing arrived for <c>drain-quiet</c>): it then closes
/// (<see cref="CloseReason.Drained"/>). The drain timeout, or the half-close of a client whose FIN Akka.IO keeps
/// open (<see cref="EchoTransport.KeepOpenOnPeerClosed"/>), moves it to <see cref="Finishing"/> instead.</item>
/// <item><see cref="Finishing"/>: the drain timed out while the client was still sending
/// (<see cref="CloseReason.DrainTimeout"/>), or the client closed its side (<see cref="CloseReason.PeerClosed"/>):
/// no more reads are asked for; once every echo write is acknowledged, the connection closes.</item>
/// <item><see cref="Closing"/>: a close command was sent for a <see cref="CloseReason"/>; waits for Akka.IO
/// to confirm it.</item>
/// </list>
/// <para>Every close goes through <see cref="BeginClosing"/>, which sends the command and records the reason;
/// <see cref="PostStop"/> only reports it. The actor never stops while its connection is open, because Akka.IO
/// answers a handler's death with a reset that throws away echo bytes not yet sent.</para>
/// <para>Time is the scheduler's: timers, and the drain's quiet period on <see cref="Now"/>, so that specs drive every
/// clock here in virtual time.</para>
/// </remarks>
public sealed class EchoConnection : UntypedActor, IWithTimers
{
    /// <summary>Timer, while draining: time to check whether the connection has gone quiet.</summary>
    private sealed class QuietCheck
    {
        public static readonly QuietCheck Instance = new();
        private QuietCheck() { }
    }

    /// <summary>Timer: the client did not answer a drain's FIN within <c>drain-linger</c>, or the connection
    /// did not finish within <c>drain-linger</c> of the drain timeout.</summary>
    private sealed class DrainLingerElapsed
    {
        public static readonly DrainLingerElapsed Instance = new();
        private DrainLingerElapsed() { }
    }

    /// <summary>Timer: the connection has lived <c>max-connection-duration</c>.</summary>
    private sealed class DurationLimitReached
    {
        public static readonly DurationLimitReached Instance = new();
        private DurationLimitReached() { }
    }

    /// <summary>Timer: the transport's handshake did not complete within its timeout.</summary>
    private sealed class HandshakeTimedOut
    {
        public static readonly HandshakeTimedOut Instance = new();
        private HandshakeTimedOut() { }
    }

    /// <summary>Beneath this actor, between it and Akka.IO: plain TCP or TLS.</summary>
    private readonly EchoTransport _transport;
    /// <summary>The <c>listener</c> tag of this connection's metrics.</summary>
    private readonly KeyValuePair<string, object?> _listenerTag;
    private readonly EndPoint _local;
    /// <summary>Until the client is admitted: the PROXY header step (docs/edge.md). Null otherwise.</summary>
    private ProxyHeaderStep? _proxyHeader;
    /// <summary>What the live view shows of this connection: also the logs' client and via, and the access log's
    /// byte counts.</summary>
    private readonly ConnectionView _view;
    private readonly ConnectionTable _connections;
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    /// <summary>Replaced by a reload (<see cref="SettingsChanged"/>, <see cref="Adopt"/>).</summary>
    private EchoSettings _settings;
    /// <summary>Made on first use: most connections log nothing (their lines are DEBUG), and making an adapter
    /// formats the actor's path, work a reconnect storm would do ten thousand times for nothing.</summary>
    private ILoggingAdapter? _logger;
    private readonly EchoWindow _window;
    private readonly IScheduler _scheduler;
    /// <summary>The scheduler keeps real time (its <see cref="ITimeProvider.Now"/> is the system clock): read its
    /// monotonic clock. Otherwise (TestScheduler) its own virtual time is the clock, so that specs drive the quiet
    /// period by advancing it, like every timer here.</summary>
    private readonly bool _realTime;

    /// <summary>Akka.IO keeps the connection open on the client's FIN and this actor finishes the half-close;
    /// otherwise <see cref="Tcp.PeerClosed"/> is the connection's end (<see cref="PlainTransport.KeepOpenOnPeerClosed"/>).</summary>
    private readonly bool _keepOpenOnPeerClosed;
    /// <summary>A read was asked for and its <see cref="Tcp.Received"/> has not come yet (pull mode allows one).</summary>
    private bool _readRequested;
    private readonly IdleClock _idle = new();
    /// <summary>On <see cref="Now"/>'s clock: when data last arrived, or reading last resumed after a pause (the
    /// start of echoing at first, after any PROXY header and handshake). The drain's quiet period runs from here.</summary>
    private TimeSpan _lastArrival;
    /// <summary>In <see cref="Finishing"/>: how the connection will close once the window is empty.</summary>
    private CloseReason _finishAs;
    /// <summary>In <see cref="Finishing"/> for a limit: the client closed its side too, so a plain close ends both.</summary>
    private bool _peerClosedWhileFinishing;
    /// <summary>Client bytes still to echo under <c>max-bytes-per-connection</c>; null: no limit.</summary>
    private long? _bytesLeft;
    /// <summary>Set on the way into <see cref="Closing"/> (the close this actor asked for), or when the connection
    /// ended without one (why it ended): the reason reported. Null while neither has happened.</summary>
    private CloseReason? _closeReason;
    private History _history;

    /// <summary>What happened to this connection that its current state does not say, as the reported close
    /// reason and the drain's timers need it. The states themselves (<see cref="Echoing"/>, <see cref="Draining"/>,
    /// <see cref="Finishing"/>, <see cref="Closing"/>) carry everything else.</summary>
    [Flags]
    private enum History
    {
        None = 0,

        /// <summary>The server's drain reached this connection: a stop from outside then counts as the drain's
        /// timeout, and a PROXY client admitted later is served under the drain's rule.</summary>
        DrainRequested = 1,

        /// <summary>The drain timed out here: its linger timer runs, and is not started twice.</summary>
        DrainTimedOut = 2,

        /// <summary>Akka.IO reported the connection closed: nothing to abort at the end.</summary>
        ConnectionClosed = 4,

        /// <summary>A handler threw; supervision stops the actor.</summary>
        Failed = 8,

        /// <summary>In <see cref="Closing"/>: an abort was sent, and Akka.IO answers one at once if it is alive.</summary>
        AbortSent = 16,

        /// <summary>The transport's handshake runs: whatever ends it other than <see cref="TransportOpened"/> counts
        /// as a failed handshake, once.</summary>
        Handshaking = 32,
    }

    private bool Has(History mark) => (_history & mark) != 0;

    /// <param name="local">The listener's address the client reached (the access log's <c>listener</c>).</param>
    /// <param name="budget">The server's echo budget, shared by every connection.</param>
    /// <param name="kind">The listener's kind of connection: its transport and its metrics' <c>listener</c> tag.</param>
    /// <param name="expectProxyHeader">The peer is a trusted balancer: read its PROXY header first.</param>
    /// <param name="keepOpenOnPeerClosed">Plain TCP: finish the client's half-close here rather than in Akka.IO (what a
    /// PROXY client needs; specs of that path ask for it without a header). Null: as the PROXY header says.</param>
    /// <param name="connections">The live view this connection publishes itself in while its actor runs.</param>
    internal EchoConnection(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings, EchoBudget budget,
        ConnectionKind kind, bool expectProxyHeader, ConnectionTable connections, bool? keepOpenOnPeerClosed = null)
    {
        _transport = kind.CreateTransport(connection, Context, settings, keepOpenOnPeerClosed ?? expectProxyHeader);
        _keepOpenOnPeerClosed = _transport.KeepOpenOnPeerClosed;
        _listenerTag = kind.ListenerTag;
        _local = local;
        if (expectProxyHeader)
            _proxyHeader = new ProxyHeaderStep(settings.Edge.ProxyProtocol, (IPEndPoint)remote, Context.Parent, Self);
        _settings = settings;
        _bytesLeft = settings.MaxBytesPerConnection;
        _window = new EchoWindow(settings.WriteHighWatermark, settings.WriteLowWatermark, budget);
        _scheduler = Context.System.Scheduler;
        _realTime = _scheduler is IDateTimeOffsetNowTimeProvider;
        _connections = connections;
        _view = new ConnectionView(ViewId(kind.ListenerName, Self.Path.Name), EndpointParser.Format(local), kind.ListenerName,
            remote as IPEndPoint ?? (IPEndPoint)UnknownLocal,
            expectProxyHeader ? ConnectionState.ProxyHeader
            : _transport.HandshakeTimeout is not null ? ConnectionState.Handshaking
            : ConnectionState.Echoing);
    }

    /// <summary>The listener's name and the number of the listener's child, <c>connection-17</c> of TLS's being
    /// <c>tls-17</c>: unique among the server's open connections.</summary>
    private static string ViewId(string listenerName, string actorName)
    {
        const string prefix = "connection-";
        return listenerName + "-" + (actorName.StartsWith(prefix, StringComparison.Ordinal) ? actorName[prefix.Length..] : actorName);
    }

    /// <summary>A plain TCP connection of a direct client (no PROXY header), as specs and the README's example make it.</summary>
    public static Props Props(IActorRef connection, EndPoint remote, EchoSettings settings, EchoBudget budget) =>
        Props(connection, remote, UnknownLocal, settings, budget, ConnectionKind.PlainEcho, expectProxyHeader: false);

    /// <summary>Made by a <see cref="Producer"/>: an expression (<c>() => new EchoConnection(...)</c>) is compiled
    /// for every actor, about 1 ms of CPU each in Akka 1.5.74, and <c>Props.Create&lt;T&gt;(args)</c> finds the
    /// constructor by reflection for every actor; a reconnect storm of thousands pays either in full.</summary>
    /// <param name="connections">The live view to publish in (null: a table of its own, as a lone connection in a spec).</param>
    public static Props Props(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings, EchoBudget budget,
        ConnectionKind kind, bool expectProxyHeader, ConnectionTable? connections = null) =>
        Akka.Actor.Props.CreateBy(new Producer(() => new EchoConnection(connection, remote, local, settings, budget, kind, expectProxyHeader,
            connections ?? new ConnectionTable())));

    /// <summary>For specs of the half-close finished here (<see cref="_keepOpenOnPeerClosed"/>) without a PROXY header.</summary>
    internal static Props PropsKeepingOpen(IActorRef connection, EndPoint remote, EchoSettings settings, EchoBudget budget) =>
        Akka.Actor.Props.CreateBy(new Producer(() =>
            new EchoConnection(connection, remote, UnknownLocal, settings, budget, ConnectionKind.PlainEcho, expectProxyHeader: false,
                new ConnectionTable(), keepOpenOnPeerClosed: true)));

    /// <summary>Makes the actor with a plain constructor call.</summary>
    private sealed class Producer(Func<EchoConnection> create) : IIndirectActorProducer
    {
        public Type ActorType => typeof(EchoConnection);
        public ActorBase Produce() => create();
        public void Release(ActorBase actor) { }
    }

    private static readonly EndPoint UnknownLocal = new IPEndPoint(IPAddress.None, 0);

    public ITimerScheduler Timers { get; set; } = null!;

    private ILoggingAdapter Log => _logger ??= Context.GetLogger();

    /// <summary>The log for DEBUG lines, or null while DEBUG is off (as it is by default): <c>DebugLog?.Debug(...)</c>
    /// then neither makes the adapter nor evaluates its arguments.</summary>
    private ILoggingAdapter? DebugLog => Context.System.EventStream.LogLevel <= LogLevel.DebugLevel ? Log : null;

    /// <summary>The client's address as logged: the socket's peer, or the client a PROXY header named.</summary>
    private string Remote => _view.Client;

    protected override void PreStart()
    {
        _connections.Add(_view);
        // Akka.IO tells the handler how its connection ended, whatever ends it, once the Register below is in; the
        // one silent end is a registration that comes after akka.io.tcp.register-timeout. The idle clock ends that
        // case too (see Closing), so the connection actor is watched, a measurable share of a reconnect storm's CPU,
        // only where there is no idle clock.
        if (_settings.IdleTimeout is null)
            Context.Watch(_transport.Connection);
        _transport.Register(Self);
        // Reads and acks mark the connection active; a periodic timer counts the ticks that saw none (IdleClock).
        if (_settings.IdleTimeout is { } idle)
            Timers.StartPeriodicTimer(IdleTick.Instance, IdleTick.Instance, IdleClock.TickInterval(idle));
        if (_settings.MaxConnectionDuration is { } lifetime)
            Timers.StartSingleTimer(DurationLimitReached.Instance, DurationLimitReached.Instance, lifetime);
        if (_proxyHeader is not null)
        {
            Become(ReadingProxyHeader);
            _proxyHeader.Start(Timers, _settings.Edge.HeaderTimeout);
            RequestRead();
            return;
        }
        Open(ByteString.Empty, peerClosed: false);
    }

    /// <summary>Once the client is known (admitted after its PROXY header, or from the start): echo, or first the
    /// transport's handshake, with what came after the header.</summary>
    private void Open(ByteString received, bool peerClosed)
    {
        if (_transport.HandshakeTimeout is { } handshakeTimeout)
        {
            _history |= History.Handshaking;
            Become(Handshaking);
            _view.MoveTo(ConnectionState.Handshaking);
            Timers.StartSingleTimer(HandshakeTimedOut.Instance, HandshakeTimedOut.Instance, handshakeTimeout);
            _transport.Open(received, peerClosed);
            return;
        }
        StartEchoing();
        if (!received.IsEmpty)
            Echo(received);
        if (ByteLimitReached)
        {
            BeginFinishing(CloseReason.ByteLimit);
            return;
        }
        if (peerClosed)
        {
            BeginFinishing(CloseReason.PeerClosed);
            return;
        }
        RequestReadIfAllowed();
        if (Has(History.DrainRequested))
            CloseIfQuiet();
    }

    /// <summary>Into <see cref="Echoing"/>, or <see cref="Draining"/> if the drain came first.</summary>
    private void StartEchoing()
    {
        Become(Has(History.DrainRequested) ? Draining : Echoing);
        _view.MoveTo(ServingState);
        _lastArrival = Now();
    }

    protected override void PostStop()
    {
        _connections.Remove(_view);
        _window.Release();
        if (!Has(History.ConnectionClosed))
        {
            // Only reached with the connection still open after a failure or a stop from outside (the drain
            // timeout, the system's shutdown): say so explicitly rather than rely on Akka.IO noticing the
            // handler's death.
            _transport.Connection.Tell(Tcp.Abort.Instance);
        }
        _transport.Stopped();
        HandshakeFailed(EchoMetrics.HandshakeFailures.Protocol, "the connection ended during the handshake");
        var reason = ReportedReason();
        EchoMetrics.ConnectionsClosed.Add(1, CloseReasonTags.Tag(reason), _listenerTag);
        if (_settings.Edge.AccessLog)
            AccessLog.Write(Log, Remote, _view.Via, _local, _startedAt, _view.BytesIn, _view.BytesOut, reason, _transport.AccessLogFields);
    }

    private CloseReason ReportedReason() =>
        Has(History.Failed) ? CloseReason.Failed
        : Has(History.ConnectionClosed) ? _closeReason!.Value
        : Has(History.DrainRequested) ? CloseReason.DrainTimeout
        : CloseReason.Stopped;

    /// <summary>Gives every message to the transport first (<see cref="EchoTransport.Translate"/>), and notes that a
    /// handler threw, so that <see cref="PostStop"/> (run when supervision stops this actor) reports the close as a
    /// failure. A try block costs nothing until something throws.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            // A reload is the same in every state, and no transport's business.
            if (message is SettingsChanged changed)
            {
                Adopt(changed.Settings);
                return true;
            }
            return _transport.Translate(message) is not { } translated || base.AroundReceive(receive, translated);
        }
        catch
        {
            _history |= History.Failed;
            throw;
        }
    }

    protected override void OnReceive(object message) => Echoing(message);

    /// <summary>PROXY protocol: the header is read, never echoed, and the client it names admitted by the listener
    /// before anything is echoed or any handshake starts (<see cref="ProxyHeaderStep"/>); anything else closes the
    /// connection unechoed. The transport passes the bytes before its handshake through as they came.</summary>
    private void ReadingProxyHeader(object message)
    {
        if (message is Tcp.Received)
        {
            _readRequested = false;
            _idle.Touch();
        }
        var step = _proxyHeader!;
        switch (step.Handle(message))
        {
            case ProxyStepOutcome.ReadMore:
                RequestRead();
                break;
            case ProxyStepOutcome.HeaderRead:
                _view.ClientNamed(step.Client!, step.Balancer);
                break;
            case ProxyStepOutcome.Close:
                DebugLog?.Debug("Connection from {0}: {1}; closing", Remote, step.Why);
                BeginClosing(Tcp.Close.Instance, step.CloseReason);
                break;
            case ProxyStepOutcome.Admitted:
                _proxyHeader = null;
                Open(step.AfterHeader, step.PeerClosedEarly);
                break;
            case ProxyStepOutcome.NotHandled:
                BeforeAdmission(message);
                break;
        }
    }

    /// <summary>Before admission (and before a handshake): a drain waits for the client to be admitted (the header
    /// timeout bounds that); the drain timeout closes at once, as nothing was echoed yet.</summary>
    private void BeforeAdmission(object message)
    {
        switch (message)
        {
            case Drain:
                _history |= History.DrainRequested;
                break;
            case DrainTimeoutReached:
                _history |= History.DrainRequested;
                _proxyHeader!.Cancel();
                BeginClosing(Tcp.Close.Instance, CloseReason.DrainTimeout);
                break;
            case DurationLimitReached:
                _proxyHeader!.Cancel();
                BeginClosing(Tcp.Close.Instance, CloseReason.DurationLimit);
                break;
            case IdleTick:
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    /// <summary>The transport's handshake, within its timeout: a drain waits for it (then drains as any connection);
    /// the drain timeout and the connection's end count as a failed handshake, as nothing was echoed yet.</summary>
    private void Handshaking(object message)
    {
        switch (message)
        {
            case TransportOpened opened:
                Timers.Cancel(HandshakeTimedOut.Instance);
                _history &= ~History.Handshaking;
                EchoMetrics.TlsHandshakesCompleted.Add(1);
                if (_transport.AccessLogFields is { } negotiated)
                    _view.Negotiated(negotiated);
                DebugLog?.Debug("Handshake with {0} completed ({1})", Remote, opened.Protocol);
                StartEchoing();
                RequestReadIfAllowed();
                if (Has(History.DrainRequested))
                    CloseIfQuiet();
                break;
            case TransportOpenFailed failed:
                // The alert the handshake wrote, if any, is ahead of the close.
                HandshakeFailed(failed.Reason, failed.Detail);
                BeginClosing(Tcp.Close.Instance, CloseReason.HandshakeFailed);
                break;
            case HandshakeTimedOut:
                HandshakeFailed(EchoMetrics.HandshakeFailures.Timeout, $"not completed within {_transport.HandshakeTimeout}");
                BeginClosing(Tcp.Close.Instance, CloseReason.HandshakeFailed);
                break;
            case Drain:
                _history |= History.DrainRequested;
                break;
            case DrainTimeoutReached:
                _history |= History.DrainRequested;
                HandshakeFailed(EchoMetrics.HandshakeFailures.Timeout, "not completed by the drain timeout");
                BeginClosing(Tcp.Close.Instance, CloseReason.DrainTimeout);
                break;
            case DurationLimitReached:
                HandshakeFailed(EchoMetrics.HandshakeFailures.Timeout, "not completed within max-connection-duration");
                BeginClosing(Tcp.Close.Instance, CloseReason.DurationLimit);
                break;
            case IdleTick:
                break;
            case Tcp.ConnectionClosed:
                _closeReason = CloseReason.HandshakeFailed;
                HandleEnd(message);
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    /// <summary>Counts and logs a handshake that will not complete, once.</summary>
    private void HandshakeFailed(string reason, string detail)
    {
        if (!Has(History.Handshaking))
            return;
        _history &= ~History.Handshaking;
        Timers.Cancel(HandshakeTimedOut.Instance);
        EchoMetrics.TlsHandshakesFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        DebugLog?.Debug("Handshake with {0} failed ({1}): {2}", Remote, reason, detail);
    }

    // The states are plain switches (an UntypedActor) rather than ReceiveActor registrations: no handler
    // tables per instance, which matters at ten thousand connections, and the cheapest dispatch per frame.
    private void Echoing(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                EchoThenRead(received);
                break;
            case WriteAck:
                OnAck();
                RequestReadIfAllowed();
                break;
            case Tcp.PeerClosed when _keepOpenOnPeerClosed: // otherwise the connection's end, as any ConnectionClosed
                DebugLog?.Debug("Peer {0} half-closed; finishing {1} echo bytes", Remote, _window.UnackedBytes);
                BeginFinishing(CloseReason.PeerClosed);
                break;
            case Drain:
                _history |= History.DrainRequested;
                Become(Draining);
                if (!_window.IsPaused && !_window.IsPausedByBudget)
                    _view.MoveTo(ConnectionState.Draining);
                CloseIfQuiet();
                break;
            case DrainTimeoutReached:
                // Only if the drain itself never reached this actor; treat it as both.
                _history |= History.DrainRequested;
                OnDrainTimeout();
                break;
            case DurationLimitReached:
                OnLimit(CloseReason.DurationLimit);
                break;
            default:
                WhileServing(message);
                break;
        }
    }

    /// <summary>The server is shutting down, and this connection is served as in <see cref="Echoing"/> (reads go on
    /// as the window allows) until it is quiet: everything received echoed and acknowledged, and nothing arrived
    /// for <c>drain-quiet</c>. Then it closes like an idle one at the start of the drain (FIN, drain-linger). A
    /// streaming client thus finishes its transfer, and a client accepted during the drain is served.</summary>
    private void Draining(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                EchoThenRead(received);
                break;
            case WriteAck:
                OnAck();
                RequestReadIfAllowed();
                CloseIfQuiet();
                break;
            case QuietCheck:
                CloseIfQuiet();
                break;
            case Tcp.PeerClosed when _keepOpenOnPeerClosed:
                // The client finished sending: finish its echo and close, as outside a drain.
                Timers.Cancel(QuietCheck.Instance);
                BeginFinishing(CloseReason.PeerClosed);
                break;
            case Drain:
                break;
            case DrainTimeoutReached:
                OnDrainTimeout();
                break;
            case DurationLimitReached:
                OnLimit(CloseReason.DurationLimit);
                break;
            default:
                WhileServing(message);
                break;
        }
    }

    /// <summary>No more reads are asked for; the echo of what was read goes on until the window is empty, then the
    /// connection closes as <see cref="_finishAs"/> says.</summary>
    private void Finishing(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                // A read asked for before the half-close or the drain timeout: its bytes are echoed like any others.
                Echo(received);
                break;
            case WriteAck:
                OnAck();
                CloseIfFinished();
                break;
            case Tcp.PeerClosed when _keepOpenOnPeerClosed:
                // The drain timed out (or a limit was reached) and then the client closed: a plain close then ends
                // both sides. A limit still names the close.
                if (_finishAs is CloseReason.DurationLimit or CloseReason.ByteLimit)
                    _peerClosedWhileFinishing = true;
                else
                    _finishAs = CloseReason.PeerClosed;
                CloseIfFinished();
                break;
            case Drain:
                _history |= History.DrainRequested;
                break;
            case DrainTimeoutReached:
                // The client half-closed; its echo must still be finished, but within drain-linger.
                _history |= History.DrainRequested;
                StartDrainTimeoutLinger();
                break;
            case DrainLingerElapsed:
                // The echo could not be finished within drain-linger of the drain timeout (the client does not
                // read it): reset.
                DebugLog?.Debug("Connection from {0} did not finish its echo within {1} of the drain timeout; resetting",
                    Remote, _settings.DrainLinger);
                BeginClosing(Tcp.Abort.Instance, CloseReason.DrainTimeout);
                break;
            case QuietCheck or DurationLimitReached:
                break;
            default:
                WhileServing(message);
                break;
        }
    }

    /// <summary>Waits for Akka.IO to report the close it was asked for.</summary>
    private void Closing(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                // Pull mode: reading must go on after a ConfirmedClose so that the peer's FIN is seen; what the
                // peer sends after our FIN is discarded, as there is no way left to echo it.
                EchoMetrics.BytesReceived.Add(received.Data.Count, _listenerTag);
                _view.Received(received.Data.Count);
                _transport.ResumeReading();
                break;
            case Tcp.PeerClosed when _keepOpenOnPeerClosed:
                break;
            case WriteAck or Drain or DrainTimeoutReached or QuietCheck or ProxyHeaderTimedOut or AdmissionGranted or AdmissionRefused
                or HandshakeTimedOut or TransportOpened or TransportOpenFailed or DurationLimitReached:
                break;
            case DrainLingerElapsed:
                // Every echo byte was handed over before our FIN; a client that stays connected without answering
                // it would otherwise hold the shutdown for the whole drain-timeout. (After a ConfirmedClose,
                // Akka.IO accepts only Abort.) The close still counts for the reason first given. After a drain
                // timeout, the same timer also ends a close that could not finish.
                DebugLog?.Debug("Connection from {0} did not answer the drain's FIN within {1}; resetting", Remote, _settings.DrainLinger);
                Abort();
                break;
            case IdleTick:
                if (!_idle.TickElapsed())
                    return;
                if (Has(History.AbortSent))
                {
                    // Akka.IO answers an abort at once: its connection actor is gone without a word (see PreStart).
                    Log.Warning("Connection from {0}: Akka.IO did not confirm the abort within the idle timeout; its connection actor is gone", Remote);
                    Ended(CloseReason.Error);
                    return;
                }
                // The abort gets a whole idle period of its own to be confirmed.
                DebugLog?.Debug("Connection from {0} did not finish closing within the idle timeout; aborting", Remote);
                Abort();
                break;
            case Tcp.CommandFailed { Cmd: not Tcp.WriteCommand } failed:
                // Already closing: abort, and the reason first given stands.
                LogCommandFailed(failed);
                Abort();
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    /// <summary>What the serving states (<see cref="Echoing"/>, <see cref="Draining"/>, <see cref="Finishing"/>) do
    /// alike: a connection idle for the idle timeout closes (<see cref="OnIdle"/>); the rest is <see cref="HandleEnd"/>.</summary>
    private void WhileServing(object message)
    {
        if (message is IdleTick)
        {
            if (_idle.TickElapsed())
                OnIdle();
        }
        else
            HandleEnd(message);
    }

    /// <summary>What every state does alike: the connection's end, a refused command, the connection actor's death.</summary>
    private void HandleEnd(object message)
    {
        switch (message)
        {
            case Tcp.ConnectionClosed closed:
                OnConnectionClosed(closed);
                break;
            case Tcp.CommandFailed { Cmd: Tcp.WriteCommand }:
                // Akka.IO's write queue is unbounded and writing is never suspended here, so a write fails only
                // because the connection is going away: Akka.IO reports the queued writes as failed just before
                // the ErrorClosed or Aborted that says why (a client reset, say). Wait for that; aborting here
                // would misreport the reason. Should nothing follow, the idle check ends the connection.
                DebugLog?.Debug("Connection from {0}: queued echo write dropped as the connection ends", Remote);
                break;
            case Tcp.CommandFailed failed:
                LogCommandFailed(failed);
                BeginClosing(Tcp.Abort.Instance, CloseReason.Aborted);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_transport.Connection):
                DebugLog?.Debug("Connection actor for {0} stopped", Remote);
                Ended(CloseReason.Error);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Echo(Tcp.Received received) => Echo(received.Data);

    /// <summary>Echoing or Draining: echo, then read on as the window allows, or finish once the byte limit is reached.</summary>
    private void EchoThenRead(Tcp.Received received)
    {
        Echo(received.Data);
        if (ByteLimitReached)
            OnLimit(CloseReason.ByteLimit);
        else
            RequestReadIfAllowed();
    }

    /// <summary><c>max-bytes-per-connection</c> is set and that many bytes were echoed.</summary>
    private bool ByteLimitReached => _bytesLeft == 0;

    /// <summary>A limit per connection was reached while serving: read no more, echo what was read, then close as a
    /// drained connection does (FIN, drain-linger for the client's own, then a reset).</summary>
    private void OnLimit(CloseReason limit)
    {
        DebugLog?.Debug("Connection from {0} reached its {1}; finishing {2} echo bytes", Remote,
            CloseReasonTags.Text(limit), _window.UnackedBytes);
        Timers.Cancel(QuietCheck.Instance);
        Timers.Cancel(DurationLimitReached.Instance);
        BeginFinishing(limit);
    }

    private void Echo(ByteString data)
    {
        _idle.Touch();
        _readRequested = false;
        _lastArrival = Now();
        if (data.Count == 0)
            return;
        EchoMetrics.BytesReceived.Add(data.Count, _listenerTag);
        _view.Received(data.Count);
        if (_bytesLeft is { } left)
        {
            // max-bytes-per-connection: Akka.IO reads whole frames, so a read may cross the cap; the rest is dropped.
            if (data.Count > left)
                data = data.Slice(0, (int)left);
            _bytesLeft = left - data.Count;
            if (data.Count == 0)
                return;
        }
        _window.Written(data.Count);
        _transport.Write(data);
    }

    private void OnAck()
    {
        _idle.Touch();
        var acked = _window.Acked();
        _view.Sent(acked);
        EchoMetrics.BytesSent.Add(acked, _listenerTag);
    }

    private void RequestReadIfAllowed()
    {
        if (_readRequested)
            return;

        switch (_window.NextRead())
        {
            case ReadGate.StillPaused:
                // Paused by both, one may end first: show the one still holding reads.
                _view.MoveTo(_window.IsPaused ? ConnectionState.PausedByWindow : ConnectionState.PausedByBudget);
                return;
            case ReadGate.Paused:
                EchoMetrics.ReadsSuspended.Add(1);
                _view.MoveTo(ConnectionState.PausedByWindow);
                DebugLog?.Debug("Pausing reads from {0}: {1} unacked bytes", Remote, _window.UnackedBytes);
                return;
            case ReadGate.PausedByBudget:
                _view.MoveTo(ConnectionState.PausedByBudget);
                DebugLog?.Debug("Pausing reads from {0}: the server holds max-buffered-bytes ({1} unacked here)", Remote, _window.UnackedBytes);
                return;
            case ReadGate.Resumed:
                DebugLog?.Debug("Resuming reads from {0}: {1} unacked bytes", Remote, _window.UnackedBytes);
                // While paused, nothing could arrive: the quiet period starts again from now.
                _lastArrival = Now();
                _view.MoveTo(ServingState);
                break;
        }

        RequestRead();
    }

    /// <summary>One read, unless one is already asked for (pull mode allows one).</summary>
    private void RequestRead()
    {
        if (_readRequested)
            return;
        _readRequested = true;
        _transport.ResumeReading();
    }

    /// <summary>In <see cref="Draining"/>: closes the connection if it is quiet, or checks again when it may be.
    /// Quiet: every echo byte acknowledged (the next ack that empties the window checks again) and nothing arrived
    /// for <c>drain-quiet</c>.</summary>
    private void CloseIfQuiet()
    {
        if (!_window.IsEmpty)
            return;
        var quietFor = Now() - _lastArrival;
        if (quietFor >= _settings.DrainQuiet)
        {
            DebugLog?.Debug("Connection from {0} quiet for {1}; closing for the drain", Remote, quietFor);
            BeginFinishing(CloseReason.Drained);
            return;
        }
        // A check already scheduled is never later than this one would be: arrivals only push quiet back.
        if (!Timers.IsTimerActive(QuietCheck.Instance))
            Timers.StartSingleTimer(QuietCheck.Instance, QuietCheck.Instance, _settings.DrainQuiet - quietFor);
    }

    /// <summary>The drain's time is up while this connection still receives: read no more, echo what was read,
    /// FIN; whatever is still open drain-linger from now is reset.</summary>
    private void OnDrainTimeout()
    {
        DebugLog?.Debug("Connection from {0} still active at the drain timeout; finishing {1} echo bytes", Remote, _window.UnackedBytes);
        Timers.Cancel(QuietCheck.Instance);
        StartDrainTimeoutLinger();
        BeginFinishing(CloseReason.DrainTimeout);
    }

    private void StartDrainTimeoutLinger()
    {
        if (Has(History.DrainTimedOut))
            return;
        _history |= History.DrainTimedOut;
        Timers.StartSingleTimer(DrainLingerElapsed.Instance, DrainLingerElapsed.Instance, _settings.DrainLinger);
    }

    /// <summary>What the live view shows while <see cref="Echoing"/> or <see cref="Draining"/> reads: in those two
    /// states the drain was asked for exactly when draining.</summary>
    private ConnectionState ServingState => Has(History.DrainRequested) ? ConnectionState.Draining : ConnectionState.Echoing;

    /// <summary>Now, on the scheduler's clock (see <see cref="_realTime"/>).</summary>
    private TimeSpan Now() => _realTime ? _scheduler.MonotonicClock : TimeSpan.FromTicks(_scheduler.Now.UtcTicks);

    /// <summary>Echoing or Draining → Finishing: stop asking for reads, close once the window is empty.</summary>
    private void BeginFinishing(CloseReason finishAs)
    {
        _finishAs = finishAs;
        Become(Finishing);
        _view.MoveTo(ConnectionState.Closing);
        CloseIfFinished();
    }

    private void CloseIfFinished()
    {
        if (!_window.IsEmpty)
            return;

        if (_finishAs == CloseReason.PeerClosed || _peerClosedWhileFinishing)
        {
            // The client sent its FIN and everything it sent has been echoed: a plain close ends both sides.
            BeginClosing(Tcp.Close.Instance, _finishAs);
            return;
        }

        // Drained, drain timeout or a limit. The client may still be sending. Half-close so it reads our FIN after the last
        // echo byte, and keep reading until its own FIN: closing a socket with unread input would send a reset
        // instead, and a reset can destroy echo bytes the client has not read yet. After a drain timeout the
        // linger already runs (from the timeout).
        BeginClosing(Tcp.ConfirmedClose.Instance, _finishAs);
        if (!Has(History.DrainTimedOut))
            Timers.StartSingleTimer(DrainLingerElapsed.Instance, DrainLingerElapsed.Instance, _settings.DrainLinger);
    }

    /// <summary>The one way into <see cref="Closing"/>: sends <paramref name="command"/>, records why, and gives
    /// Akka.IO a whole idle period to confirm before the close is declared stuck and aborted.</summary>
    private void BeginClosing(Tcp.CloseCommand command, CloseReason reason)
    {
        _transport.Close(command, _readRequested);
        if (command is Tcp.Abort)
            _history |= History.AbortSent;
        _closeReason = reason;
        _idle.Touch();
        Become(Closing);
        _view.MoveTo(ConnectionState.Closing);
    }

    /// <summary>In <see cref="Closing"/>: the abort, too, gets a whole idle period to be confirmed.</summary>
    private void Abort()
    {
        _transport.Close(Tcp.Abort.Instance, _readRequested);
        _history |= History.AbortSent;
        _idle.Touch();
    }

    private void OnIdle()
    {
        if (_window.IsEmpty)
        {
            DebugLog?.Debug("Connection from {0} idle for {1}; closing", Remote, _settings.IdleTimeout);
            BeginClosing(Tcp.Close.Instance, CloseReason.IdleTimeout);
        }
        else
        {
            // Nothing was acknowledged for a whole idle period: the client stopped reading its echo.
            DebugLog?.Debug("Connection from {0} read nothing for {1} with {2} echo bytes pending; aborting",
                Remote, _settings.IdleTimeout, _window.UnackedBytes);
            BeginClosing(Tcp.Abort.Instance, CloseReason.SlowReader);
        }
    }

    private void OnConnectionClosed(Tcp.ConnectionClosed closed)
    {
        DebugLog?.Debug("Connection from {0} ended: {1}", Remote, closed switch
        {
            Tcp.ErrorClosed error => $"error: {error.Cause}",
            Tcp.Aborted => "aborted",
            Tcp.ConfirmedClosed => "closed (confirmed)",
            _ => "closed",
        });
        // Outside Closing, this actor did not start the close: an error or abort means the client reset the
        // connection or the socket failed; anything else, that the client closed it.
        Ended(closed is Tcp.ErrorClosed or Tcp.Aborted ? CloseReason.Error : CloseReason.PeerClosed);
    }

    /// <summary>The connection is gone; stop. <paramref name="reason"/> counts only if no close was under way.</summary>
    private void Ended(CloseReason reason)
    {
        _closeReason ??= reason;
        _history |= History.ConnectionClosed;
        Context.Stop(Self);
    }

    /// <summary>A reload: the idle timeout (its clock restarts at the new period; off, the connection actor is watched
    /// instead, as <see cref="PreStart"/> does), the watermarks (for the next read) and the access log (read at the
    /// end). The log adapter is made again at its next use, so that it follows a new log level.</summary>
    private void Adopt(EchoSettings settings)
    {
        var idleBefore = _settings.IdleTimeout;
        _settings = settings;
        _logger = null;
        _window.ChangeWatermarks(settings.WriteHighWatermark, settings.WriteLowWatermark);
        if (settings.IdleTimeout == idleBefore)
            return;
        _idle.Touch();
        if (settings.IdleTimeout is { } idle)
            Timers.StartPeriodicTimer(IdleTick.Instance, IdleTick.Instance, IdleClock.TickInterval(idle));
        else
        {
            Timers.Cancel(IdleTick.Instance);
            Context.Watch(_transport.Connection);
        }
    }

    private void LogCommandFailed(Tcp.CommandFailed failed) =>
        Log.Warning("Connection from {0}: {1} failed ({2}); aborting", Remote, failed.Cmd.GetType().Name,
            failed.Cause.HasValue ? failed.Cause.Value.Message : "no cause given");
}
