using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.Limits;
using ActorEcho.Networking;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using static ActorEcho.TcpEcho.EchoProtocol;

namespace ActorEcho.TcpEcho;

/// <summary>
/// Binds the listening socket through Akka.IO and gives every accepted client an <see cref="EchoConnection"/>
/// child. It counts its children to enforce <c>max-connections</c> (Akka.IO's own <c>max-channels</c> is not
/// enforced), and at shutdown drains its children and only then lets the listening socket go: an unbind, or this
/// actor's death, would abort every connection still open.
/// Akka.IO 1.5.74 accepts continuously whatever the bind's pull mode (<see cref="Tcp.ResumeAccepting"/> is a
/// no-op there), and the kernel completes handshakes until the socket is released. A client closed at once
/// after its handshake sees a broken session, so during the drain new clients are served under the drain's rule
/// (echoed until quiet, then FIN), within <c>max-connections</c>; only after <c>drain-timeout</c> are clients
/// still arriving closed at once.
/// With <c>actor-echo.accept-queues</c> = N it binds N listening sockets on the one address (SO_REUSEPORT, so the
/// kernel spreads new clients across their accept queues): the first bind resolves port 0, the others take the
/// port it got; all N count as one listener here — one connection limit, one drain, all released at the end.
/// It also applies the edge settings (docs/edge.md): the PROXY protocol's trusted sources, allow and deny, and the
/// per-source limits, whose counts it keeps (see <see cref="AdmissionRequest"/> for why here).
/// </summary>
/// <remarks>
/// <para>States, each a behaviour that handles only what can happen in it (no two of a state's handlers take the
/// same message, so their registration order does not matter):</para>
/// <list type="bullet">
/// <item><see cref="Binding"/>: the accept queues are being bound.</item>
/// <item><see cref="Accepting"/>: serving.</item>
/// <item><see cref="StoppingAccepting"/>: shutdown has begun (the first phase); clients are still accepted and served as
/// usual until the drain starts.</item>
/// <item><see cref="Draining"/>: every connection is asked to finish; new clients are served under the drain's rule.</item>
/// <item><see cref="DrainTimedOut"/>: <c>drain-timeout</c> ran out; new clients are refused, the connections left
/// finish within <c>drain-linger</c> or are stopped.</item>
/// <item><see cref="Unbinding"/>: every connection ended; the listening sockets are being released.</item>
/// <item><see cref="Released"/>: nothing left; the drain is answered at once.</item>
/// </list>
/// </remarks>
public sealed class EchoListener : ReceiveActor, IWithTimers
{
    /// <summary>In <see cref="Unbinding"/>: every accept queue's listening socket is released.</summary>
    private sealed class AllListenersReleased
    {
        public static readonly AllListenersReleased Instance = new();
        private AllListenersReleased() { }
    }

    /// <summary>Timer: <c>drain-timeout</c> ran out.</summary>
    private sealed class DrainTimeoutElapsed
    {
        public static readonly DrainTimeoutElapsed Instance = new();
        private DrainTimeoutElapsed() { }
    }

    /// <summary>Timer: connections were given <c>drain-linger</c> (and a margin) after the drain timeout to finish
    /// and reset themselves; whatever is left is stopped (aborted).</summary>
    private sealed class DrainAbandoned
    {
        public static readonly DrainAbandoned Instance = new();
        private DrainAbandoned() { }
    }

    /// <summary>What a connection gets beyond <c>drain-linger</c> after the drain timeout for its own reset to be
    /// confirmed, before the listener stops it.</summary>
    private static readonly TimeSpan AbandonMargin = TimeSpan.FromSeconds(1);

    /// <summary>Replaced by a reload (<see cref="Reconfigure"/>); what needs a restart stays as it was at start.</summary>
    private EchoSettings _settings;
    private readonly IPEndPoint _endpoint;
    /// <summary>Made again by a reload: an adapter keeps the log level in force when it was made.</summary>
    private ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _bindWaiters = [];
    private readonly List<IActorRef> _drainWaiters = [];
    /// <summary>The echo bytes all this listener's connections hold, bounded by <c>max-buffered-bytes</c>.</summary>
    private readonly EchoBudget _budget;
    /// <summary>What this listener's connections are: plain echo or TLS (<see cref="ConnectionKind"/>); a reload gives
    /// the TLS listener's new connections new credentials.</summary>
    private ConnectionKind _kind;
    /// <summary>The live view every connection publishes itself in, shared with the other listener.</summary>
    private readonly ConnectionTable _connections;

    public ITimerScheduler Timers { get; set; } = null!;

    private BindResult? _bindResult;
    /// <summary>Akka.IO's listener actors, one per accept queue, in the order they bound.</summary>
    private readonly List<IActorRef> _tcpListeners = [];
    /// <summary>Listeners not yet released (Unbound, or stopped); the drain completes when none is left.</summary>
    private readonly HashSet<IActorRef> _listenersToRelease = [];
    private List<Inet.SocketOption> _bindOptions = [];
    private EndPoint? _boundAddress;
    private int _active;
    private long _accepted;
    private long _rejected;
    private long _closed;
    private long _nextChildId;
    /// <summary>Akka.IO's TCP manager, which binds: the system's, unless a spec gives a stand-in.</summary>
    private readonly IActorRef? _tcpManager;
    /// <summary>Per-source counts (<c>actor-echo.per-source</c>); null when no per-source limit is set.</summary>
    private SourceTable? _sources;
    /// <summary>The source key of every admitted connection, table or not, released when it ends: a reload that
    /// switches per-source limits on counts the connections already open from here (<see cref="Reconfigured"/>).</summary>
    private readonly Dictionary<IActorRef, IPAddress> _sourceOf = [];
    /// <summary>Refusals by source and reason, for <c>GET /sources</c>.</summary>
    private readonly SourceRefusalTable _refusalsBySource;
    /// <summary>Refused clients, logged at most once per <see cref="RefusalLogInterval"/>.</summary>
    private readonly DropLog _refusalLog;
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);

    public EchoListener(EchoSettings settings, IPEndPoint endpoint) : this(settings, endpoint, ConnectionKind.PlainEcho, null)
    {
    }

    /// <param name="budget">The budget to share with another listener; null: a budget of its own.</param>
    /// <param name="tcpManager">Akka.IO's TCP manager, to which the binds go; null: the system's. Specs give a probe,
    /// and drive the drain in virtual time.</param>
    /// <param name="connections">The live view to share with another listener; null: a table of its own.</param>
    public EchoListener(EchoSettings settings, IPEndPoint endpoint, ConnectionKind kind, EchoBudget? budget,
        IActorRef? tcpManager = null, ConnectionTable? connections = null)
    {
        _settings = settings;
        _tcpManager = tcpManager;
        _endpoint = endpoint;
        _kind = kind;
        _budget = budget ?? new EchoBudget(settings.MaxBufferedBytes);
        _connections = connections ?? new ConnectionTable();
        var edge = settings.Edge;
        if (edge.LimitsPerSource)
            _sources = new SourceTable(edge.PerSourceMaxConnections, edge.PerSourceConnectRate, edge.MaxSources, TimeProvider.System);
        _refusalsBySource = new SourceRefusalTable(edge.MaxSources);
        _refusalLog = new DropLog(RefusalLogInterval, TimeProvider.System, line => _log.Warning(line), "Refused connections:");
        Binding();
    }

    public static Props Props(EchoSettings settings, IPEndPoint endpoint) =>
        Akka.Actor.Props.Create(() => new EchoListener(settings, endpoint));

    /// <summary>A listener whose connections are of <paramref name="kind"/>, sharing <paramref name="budget"/> and
    /// <paramref name="connections"/> (null: a table of its own); its binds go to <paramref name="tcpManager"/> (null:
    /// Akka.IO's).</summary>
    public static Props Props(EchoSettings settings, IPEndPoint endpoint, ConnectionKind kind, EchoBudget budget,
        IActorRef? tcpManager = null, ConnectionTable? connections = null) =>
        Akka.Actor.Props.Create(() => new EchoListener(settings, endpoint, kind, budget, tcpManager, connections));

    /// <summary>Refusals counted since the last summary line still get their line.</summary>
    protected override void PostStop() => _refusalLog.Flush();

    /// <summary>A connection actor that throws is stopped, never restarted: its stream position and
    /// acknowledgement count cannot be rebuilt, and stopping it aborts just that one connection.</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        var options = new List<Inet.SocketOption>();
        if (_settings.SocketReceiveBufferSize is { } receive)
            options.Add(new Inet.SO.ReceiveBufferSize(receive));
        if (_settings.SocketSendBufferSize is { } send)
            options.Add(new Inet.SO.SendBufferSize(send));
        if (DualStackSocketOption.AppliesTo(_endpoint))
            options.Add(DualStackSocketOption.Instance);
        // Several accept queues are several listening sockets on one address: SO_REUSEPORT on every one of them.
        if (_settings.ReusePort || _settings.AcceptQueues > 1)
            options.Add(ReusePortSocketOption.Instance);
        _bindOptions = options;
        EchoMetrics.SetConnectionsLimit(_kind.ListenerTag, _settings.MaxConnections);
        // The main listener speaks for the server's bound, the TLS listener's connections included (MemoryBound).
        if (_kind == ConnectionKind.PlainEcho)
            LogMemoryBound();
        // The first bind resolves port 0; the other accept queues bind the port it got (see Binding).
        BindAcceptQueue(_endpoint);
    }

    /// <summary>Says once what the settings let the connections hold at most, and warns when that is more than the
    /// process may use (a container's limit, say): lower max-connections or the frame size then.</summary>
    private void LogMemoryBound()
    {
        var frameSize = Context.System.WithExtension<TcpExt, Tcp>().Settings.MaxFrameSizeBytes;
        var bound = MemoryBound.For(_settings, frameSize);
        var tls = MemoryBound.TlsBytes(_settings, frameSize);
        var udp = MemoryBound.UdpBytes(_settings);
        var text = string.Format(
            "Memory bound: at most {0} for {1} connections (max-connections x (2 frames + {2} KiB) + max-buffered-bytes {3}{4}{5}); {6} available to the process",
            MemoryBound.Megabytes(bound.WorstCaseBytes),
            _settings.MaxConnections + (tls > 0 ? _settings.Descriptors?.TlsMaxConnections ?? _settings.MaxConnections : 0),
            MemoryBound.ConnectionStateBytes / 1024, MemoryBound.Megabytes(_settings.MaxBufferedBytes),
            tls > 0 ? $" + tls {MemoryBound.Megabytes(tls)} (max-connections x (2 frames + {(MemoryBound.ConnectionStateBytes + MemoryBound.TlsConnectionBytes) / 1024} KiB))" : "",
            udp > 0 ? " + udp " + MemoryBound.Megabytes(udp) : "",
            MemoryBound.Megabytes(bound.AvailableBytes));
        if (!bound.Fits)
            text += ": lower max-connections or akka.io.tcp.maximum-frame-size to stay within it";
        if (_settings.Descriptors is { } descriptors)
            text += "; " + descriptors.Describe();
        if (bound.Fits)
            _log.Info(text);
        else
            _log.Warning(text);
    }

    /// <summary>Pull mode makes each accepted connection read only when its handler asks (ResumeReading): the
    /// backpressure EchoConnection relies on. Push mode's SuspendReading arrives too late to bound memory.</summary>
    private void BindAcceptQueue(EndPoint endpoint) =>
        (_tcpManager ?? Context.System.Tcp()).Tell(new Tcp.Bind(Self, endpoint, _settings.Backlog, _bindOptions, pullMode: true));

    private void Binding()
    {
        Receive<Tcp.Bound>(bound =>
        {
            _tcpListeners.Add(Sender);
            _listenersToRelease.Add(Sender);
            Context.Watch(Sender);
            if (_tcpListeners.Count == 1)
            {
                _boundAddress = bound.LocalAddress;
                for (var queue = 2; queue <= _settings.AcceptQueues; queue++)
                    BindAcceptQueue(bound.LocalAddress);
            }
            if (_tcpListeners.Count < _settings.AcceptQueues)
                return;
            CompleteBind(new BindSucceeded(_boundAddress!));
            Become(Accepting);
        });
        Receive<Tcp.CommandFailed>(failed =>
        {
            var cause = failed.Cause.HasValue ? failed.Cause.Value.Message : "the address is in use or not available";
            var queue = _tcpListeners.Count == 0 ? "" : $" (accept queue {_tcpListeners.Count + 1} of {_settings.AcceptQueues})";
            CompleteBind(new BindFailed($"cannot listen on {EndpointParser.Format(_boundAddress ?? _endpoint)}{queue}: {cause}"));
            // Stay alive: a late GetBindResult still gets the answer; the host then terminates the system.
        });
        // After a failed bind the actor stays in this state, so a GetBindResult can arrive with the answer known.
        Receive<GetBindResult>(_ =>
        {
            if (_bindResult is null)
                _bindWaiters.Add(Sender);
            else
                Sender.Tell(_bindResult);
        });
        Receive<Terminated>(terminated => OnListeningSocketLost(terminated.ActorRef));
        Receive<Reconfigure>(_ => Sender.Tell(Akka.Done.Instance)); // not serving yet: the host reloads once bound
        Queries();
    }

    private void Accepting()
    {
        Receive<Tcp.Connected>(connected => AcceptWithinLimit(Sender, connected));
        Receive<StopAccepting>(_ =>
        {
            _log.Info("Shutting down; {0} connection(s) open", _active);
            Become(StoppingAccepting);
            Sender.Tell(Akka.Done.Instance);
        });
        Receive<DrainConnections>(_ => StartDrain(Sender));
        Receive<Reconfigure>(Reconfigured);
        Serving(draining: false);
    }

    /// <summary>Shutdown has begun but the drain has not: Akka.IO still accepts (the listening socket cannot be
    /// closed early), and those clients are served as usual until the drain reaches them too.</summary>
    private void StoppingAccepting()
    {
        Receive<Tcp.Connected>(connected => AcceptWithinLimit(Sender, connected));
        Receive<StopAccepting>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<DrainConnections>(_ => StartDrain(Sender));
        Receive<Reconfigure>(Reconfigured);
        Serving(draining: false);
    }

    private void Draining()
    {
        // Akka.IO keeps accepting until the listening socket is released at the very end: serve those clients
        // under the drain's rule, as a balancer (or the kernel, with reuse-port) may still send them here.
        Receive<Tcp.Connected>(connected => AcceptWithinLimit(Sender, connected)?.Tell(Drain.Instance));
        Receive<StopAccepting>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<DrainConnections>(_ => _drainWaiters.Add(Sender));
        Receive<Reconfigure>(_ => Sender.Tell(Akka.Done.Instance)); // the drain serves under the settings it began with
        Receive<DrainTimeoutElapsed>(_ =>
        {
            Become(DrainTimedOut);
            _log.Warning("Drain timeout ({0}) reached; {1} connection(s) still active: echoing what they sent, then FIN, reset after {2}",
                _settings.DrainTimeout, _active, _settings.DrainLinger);
            foreach (var child in Context.GetChildren())
                child.Tell(DrainTimeoutReached.Instance);
            Timers.StartSingleTimer(DrainAbandoned.Instance, DrainAbandoned.Instance, _settings.DrainLinger + AbandonMargin);
        });
        Serving(draining: true);
    }

    private void DrainTimedOut()
    {
        // Past drain-timeout nobody is served any more; the socket goes within drain-linger.
        Receive<Tcp.Connected>(connected => Reject(Sender, connected.RemoteAddress, Refusal.ShuttingDown));
        Receive<StopAccepting>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<DrainConnections>(_ => _drainWaiters.Add(Sender));
        Receive<Reconfigure>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<DrainAbandoned>(_ =>
        {
            _log.Warning("Aborting {0} connection(s) that did not close within {1} of the drain timeout", _active, _settings.DrainLinger);
            foreach (var child in Context.GetChildren())
                Context.Stop(child);
        });
        Serving(draining: true);
    }

    /// <summary>What every state with connections handles alike: their ends, a lost listening socket, admissions,
    /// the ends of rejected connections, queries. <paramref name="draining"/>: the last connection's end completes
    /// the drain, and a lost listening socket is no reason to shut down (that is under way).</summary>
    private void Serving(bool draining)
    {
        Receive<Terminated>(terminated => IsAcceptQueue(terminated.ActorRef), terminated =>
        {
            if (draining)
                _listenersToRelease.Remove(terminated.ActorRef); // the drain completes without an unbind
            else
                OnListeningSocketLost(terminated.ActorRef);
        });
        Receive<Terminated>(terminated => !IsAcceptQueue(terminated.ActorRef), terminated =>
        {
            OnConnectionEnded(terminated.ActorRef);
            if (draining && _active == 0)
                CompleteDrain();
        });
        Receive<AdmissionRequest>(OnAdmissionRequest);
        // Rejected connections have this actor as their handler; their end needs no action.
        Receive<Tcp.ConnectionClosed>(_ => { });
        Receive<Tcp.CommandFailed>(failed => _log.Warning("Listener command failed: {0}", failed));
        Receive<GetBindResult>(_ => Sender.Tell(_bindResult));
        Queries();
    }

    /// <summary>Questions every state answers the same way.</summary>
    private void Queries()
    {
        Receive<GetStats>(_ => Sender.Tell(new ListenerStats(_active, _accepted, _rejected, _closed)));
        Receive<GetAcceptQueues>(_ => Sender.Tell(new AcceptQueueListeners(_tcpListeners.ToArray())));
        Receive<GetSourceRefusals>(_ => Sender.Tell(new SourceRefusals(_refusalsBySource.Snapshot())));
    }

    private bool IsAcceptQueue(IActorRef actor) => _tcpListeners.Contains(actor);

    /// <summary>Serves the client if <c>max-connections</c> allows; returns its actor, or null if it was refused.</summary>
    private IActorRef? AcceptWithinLimit(IActorRef connection, Tcp.Connected connected)
    {
        if (_active < _settings.MaxConnections)
            return AcceptOrRefuse(connection, connected);
        // One summary line per interval, not one per client: a flood at the limit must not flood the log.
        Refuse(connection, Refusal.MaxConnections, (IPEndPoint)connected.RemoteAddress);
        return null;
    }

    private void OnConnectionEnded(IActorRef connection)
    {
        if (_sourceOf.Remove(connection, out var source))
            _sources?.Closed(source);
        _active--;
        _closed++;
        EchoMetrics.ConnectionsActive.Add(-1, _kind.ListenerTag);
    }

    /// <summary>Within max-connections: the edge's checks on the peer, then the connection actor. With the PROXY
    /// protocol on, the peer must be a trusted balancer, and the checks by source wait for the client its header
    /// names (<see cref="OnAdmissionRequest"/>). Returns the connection actor, or null if the peer was refused.</summary>
    private IActorRef? AcceptOrRefuse(IActorRef connection, Tcp.Connected connected)
    {
        var peer = (IPEndPoint)connected.RemoteAddress;
        if (_settings.Edge.ProxyProtocol != ProxyProtocolMode.Off)
        {
            // Its header, if any, is never read: an untrusted peer must not choose its address.
            if (!_settings.Edge.TrustedSources.Contains(peer.Address))
            {
                Refuse(connection, Refusal.UntrustedProxy, peer);
                return null;
            }
            return Accept(connection, connected, expectProxyHeader: true);
        }
        if (TryOpenSource(peer.Address, out var source) is { } refusal)
        {
            Refuse(connection, refusal, peer);
            return null;
        }
        var child = Accept(connection, connected, expectProxyHeader: false);
        if (source is not null)
            _sourceOf[child] = source;
        return child;
    }

    /// <summary>A connection read its PROXY header: admit the client it names, or refuse it, by the same checks
    /// as a direct client at accept. A connection that ended meanwhile is ignored (its Terminated, a system
    /// message, may have been handled before this request).</summary>
    private void OnAdmissionRequest(AdmissionRequest request)
    {
        if (Context.Child(Sender.Path.Name).IsNobody())
            return;
        if (TryOpenSource(request.Client.Address, out var source) is { } refusal)
        {
            CountRefusal(refusal, request.Client);
            Sender.Tell(new AdmissionRefused(refusal));
            return;
        }
        if (source is not null)
            _sourceOf[Sender] = source;
        _log.Info("Accepting connection from {Remote} via {Balancer}", EndpointParser.Format(request.Client), EndpointParser.Format(request.Balancer));
        _accepted++;
        EchoMetrics.ConnectionsAccepted.Add(1, _kind.ListenerTag);
        Sender.Tell(AdmissionGranted.Instance);
    }

    /// <summary>Deny, then allow, then the per-source limits (which count the connection if it passes, under the
    /// key returned in <paramref name="source"/>). Returns null if the client may be served, or the refusal.</summary>
    private string? TryOpenSource(IPAddress address, out IPAddress? source)
    {
        source = null;
        var edge = _settings.Edge;
        if (edge.Deny.Contains(address))
            return Refusal.Denied;
        if (!edge.Allow.IsEmpty && !edge.Allow.Contains(address))
            return Refusal.NotAllowed;
        var key = SourceTable.KeyOf(address);
        if (_sources?.TryOpen(key) is { } refusal)
            return refusal;
        source = key;
        return null;
    }

    /// <summary>Closes a client refused at accept (FIN, nothing read or echoed), counted and logged by reason.</summary>
    private void Refuse(IActorRef connection, string refusal, IPEndPoint peer)
    {
        Reject(connection, peer, refusal);
        _refusalLog.Dropped(refusal, EndpointParser.Format(peer));
    }

    private void CountRefusal(string refusal, IPEndPoint client)
    {
        Count(refusal, client);
        _refusalLog.Dropped(refusal, EndpointParser.Format(client));
    }

    /// <summary>Creates the connection actor. A direct client is accepted (logged, counted) here; a PROXY one once
    /// its header is read and its client admitted (<see cref="OnAdmissionRequest"/>).</summary>
    private IActorRef Accept(IActorRef connection, Tcp.Connected connected, bool expectProxyHeader)
    {
        // The address is formatted only for a line that is written: benchmarks and busy servers log at WARNING.
        if (!expectProxyHeader && _log.IsInfoEnabled)
            _log.Info("Accepting connection from {Remote}", EndpointParser.Format(connected.RemoteAddress));
        var child = Context.ActorOf(
            _kind.ConnectionProps(connection, connected.RemoteAddress, connected.LocalAddress, _settings, _budget, expectProxyHeader,
                _connections),
            $"connection-{++_nextChildId}");
        Context.Watch(child);
        _active++;
        EchoMetrics.ConnectionsActive.Add(1, _kind.ListenerTag);
        if (!expectProxyHeader)
        {
            _accepted++;
            EchoMetrics.ConnectionsAccepted.Add(1, _kind.ListenerTag);
        }
        return child;
    }

    /// <summary>Closes a client at accept (FIN, nothing read or echoed) and counts it; the log line is the caller's.</summary>
    private void Reject(IActorRef connection, EndPoint peer, string refusal)
    {
        Count(refusal, peer);
        // Registering this actor lets Akka.IO carry out the close; the client sees an immediate FIN.
        connection.Tell(new Tcp.Register(Self));
        connection.Tell(Tcp.Close.Instance);
    }

    /// <summary>Every refusal, at accept or at admission: the listener's count, the meter, the source's row in /sources.</summary>
    private void Count(string refusal, EndPoint peer)
    {
        _rejected++;
        EchoMetrics.ConnectionsRejected.Add(1, EchoMetrics.RefusalTag(refusal), _kind.ListenerTag);
        if (peer is IPEndPoint address)
            _refusalsBySource.Refused(address.Address, refusal);
    }

    /// <summary>A reload: new settings for admission and new connections, the per-source table's limits changed in
    /// place (or made, counting the connections open now, or dropped), and the open connections told what they adopt.
    /// A lower max-connections closes nobody: new clients are refused until the count is under it.</summary>
    private void Reconfigured(Reconfigure reconfigure)
    {
        _settings = reconfigure.Settings;
        _kind = reconfigure.Kind;
        _log = Context.GetLogger();
        _budget.LimitBytes = _settings.MaxBufferedBytes; // shared with the other listener, which sets the same
        EchoMetrics.SetConnectionsLimit(_kind.ListenerTag, _settings.MaxConnections);
        var edge = _settings.Edge;
        _refusalsBySource.ChangeCapacity(edge.MaxSources);
        if (!edge.LimitsPerSource)
            _sources = null;
        else if (_sources is not null)
            _sources.ChangeLimits(edge.PerSourceMaxConnections, edge.PerSourceConnectRate, edge.MaxSources);
        else
        {
            _sources = new SourceTable(edge.PerSourceMaxConnections, edge.PerSourceConnectRate, edge.MaxSources, TimeProvider.System);
            foreach (var source in _sourceOf.Values)
                _sources.CountOpen(source);
        }
        var changed = new SettingsChanged(_settings);
        foreach (var child in Context.GetChildren())
            child.Tell(changed);
        Sender.Tell(Akka.Done.Instance);
    }

    private void CompleteBind(BindResult result)
    {
        _bindResult = result;
        foreach (var waiter in _bindWaiters)
            waiter.Tell(result);
        _bindWaiters.Clear();
    }

    /// <summary>From <see cref="Accepting"/> or <see cref="StoppingAccepting"/>: every connection is asked to finish,
    /// or, with none left, the sockets are released at once.</summary>
    private void StartDrain(IActorRef requester)
    {
        _drainWaiters.Add(requester);
        if (_active == 0)
        {
            CompleteDrain();
            return;
        }
        Become(Draining);
        _log.Info("Draining {0} connection(s), at most {1}", _active, _settings.DrainTimeout);
        foreach (var child in Context.GetChildren())
            child.Tell(Drain.Instance);
        Timers.StartSingleTimer(DrainTimeoutElapsed.Instance, DrainTimeoutElapsed.Instance, _settings.DrainTimeout);
    }

    /// <summary>Every connection has ended: only now is it safe to release the listening socket (an unbind
    /// aborts whatever is still open). The drain is answered once Akka.IO confirms it with <c>Unbound</c>.</summary>
    private void CompleteDrain()
    {
        _log.Info("All connections closed");
        Become(Unbinding);
        if (_listenersToRelease.Count == 0)
            Self.Tell(AllListenersReleased.Instance); // nothing left to release
        else
            foreach (var listener in _listenersToRelease)
                listener.Tell(Tcp.Unbind.Instance);
    }

    /// <summary>Akka.IO's listener stopped outside a drain: its socket failed, and every connection with it.</summary>
    private void OnListeningSocketLost(IActorRef listener)
    {
        _listenersToRelease.Remove(listener);
        var reason = new ListeningSocketLost(
            $"the listening socket on {EndpointParser.Format((_bindResult as BindSucceeded)?.LocalAddress ?? _endpoint)} failed (Akka.IO's listener stopped); shutting down");
        _log.Error(reason.Message);
        CoordinatedShutdown.Get(Context.System).Run(reason);
    }

    /// <summary>One of Akka.IO's listeners released its socket (Unbound) or stopped; the last one completes the
    /// release. A listener that answers Unbound then stops is counted once.</summary>
    private void OnReleased(IActorRef listener)
    {
        if (_listenersToRelease.Remove(listener) && _listenersToRelease.Count == 0)
            Self.Tell(AllListenersReleased.Instance);
    }

    private void Unbinding()
    {
        // Akka.IO's listener stops itself after answering Unbound; its death before that means the same.
        Receive<Terminated>(terminated => IsAcceptQueue(terminated.ActorRef), terminated => OnReleased(terminated.ActorRef));
        Receive<Terminated>(terminated => !IsAcceptQueue(terminated.ActorRef), _ => { }); // nothing is served now
        Receive<Tcp.Unbound>(_ => OnReleased(Sender));
        Receive<AllListenersReleased>(_ =>
        {
            _log.Debug("Listening socket released");
            Become(Released);
            foreach (var waiter in _drainWaiters)
                waiter.Tell(Akka.Done.Instance);
            _drainWaiters.Clear();
        });
        Receive<DrainConnections>(_ => _drainWaiters.Add(Sender));
        Closed();
    }

    private void Released()
    {
        Receive<DrainConnections>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<Terminated>(_ => { });
        Closed();
    }

    /// <summary>What <see cref="Unbinding"/> and <see cref="Released"/> handle alike: no client is served any more.</summary>
    private void Closed()
    {
        Receive<Tcp.Connected>(connected => Reject(Sender, connected.RemoteAddress, Refusal.ShuttingDown));
        Receive<StopAccepting>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<DrainTimeoutElapsed>(_ => { });
        Receive<DrainAbandoned>(_ => { });
        Receive<Reconfigure>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<Tcp.ConnectionClosed>(_ => { });
        Receive<Tcp.CommandFailed>(failed => _log.Warning("Listener command failed: {0}", failed));
        Receive<GetBindResult>(_ => Sender.Tell(_bindResult));
        Queries();
    }
}
