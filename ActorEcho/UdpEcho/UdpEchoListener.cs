using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.Limits;
using ActorEcho.Networking;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using static ActorEcho.UdpEcho.UdpEchoProtocol;

namespace ActorEcho.UdpEcho;

/// <summary>
/// The UDP echo (RFC 862): binds a datagram socket through Akka.IO <c>Udp</c> and sends every datagram back to
/// its sender, byte for byte and never larger, unless a safety limit says no; then the datagram is dropped and
/// counted by reason (<see cref="UdpMetrics.Reasons"/>) and the log gets at most one line per interval.
/// <para>What Akka.IO 1.5.74's UDP listener does, and why this actor is shaped around it:</para>
/// <list type="bullet">
/// <item>It reads continuously (one <c>ReceiveFromAsync</c> at a time) and pushes every datagram to this actor:
/// <c>SuspendReading</c> is a no-op and <c>ResumeReading</c> starts one more concurrent read, so neither is used.
/// This actor's mailbox is therefore the only queue, and datagrams found waiting behind more than
/// <c>max-pending-datagrams</c> others are dropped unread.</item>
/// <item><c>Send</c> is a synchronous <c>SendTo</c> on a non-blocking socket, acknowledged as soon as it returns;
/// a second <c>Send</c> never waits in Akka (no write queue). Replies not yet acknowledged are counted and capped
/// (<c>max-replies-in-flight</c>), which bounds the listener's mailbox.</item>
/// <item>An exception in that <c>SendTo</c> restarts Akka's listener actor, which re-binds a new socket (a new port
/// if port 0 was asked for; for a fixed port the bind fails and the listener stops). Replies therefore only go to
/// addresses a send can reach (<see cref="SourceAddress"/>), and if the socket is lost anyway the server shuts
/// down with exit code 3, as for a lost TCP listening socket.</item>
/// <item>Each read lands in one buffer of <c>akka.io.udp</c>'s pool and longer datagrams are truncated silently;
/// <see cref="UdpEchoSettings"/> keeps that buffer larger than <c>max-datagram-size</c>, so a datagram that filled it
/// is known to be too large.</item>
/// </list>
/// </summary>
/// <remarks>States: <see cref="Binding"/> → <see cref="Echoing"/> → <see cref="Draining"/> → <see cref="Unbinding"/>.</remarks>
public sealed class UdpEchoListener : ReceiveActor
{
    /// <summary>The acknowledgement of one reply, carrying its size.</summary>
    private sealed class Sent(int bytes) : Udp.Event
    {
        public int Bytes { get; } = bytes;
    }

    /// <summary>Told to itself to measure the mailbox's backlog (<see cref="ProbeBacklog"/>).</summary>
    private sealed class BacklogProbe
    {
        public static readonly BacklogProbe Instance = new();
        private BacklogProbe() { }
    }

    /// <summary>Replaced by a reload (<see cref="ChangeSettings"/>), with the limiters and the drop log below.</summary>
    private UdpEchoSettings _settings;
    private readonly IPEndPoint _endpoint;
    private readonly IActorRef? _udpManager;
    private readonly TimeProvider _time;
    private ILoggingAdapter _log = Context.GetLogger();
    private SourceRateLimiter _perSource;
    private TokenBucket _global;
    private DropLog _dropLog;
    private readonly Dictionary<string, long> _dropped = [];
    private readonly List<IActorRef> _bindWaiters = [];
    private readonly List<IActorRef> _drainWaiters = [];

    private BindResult? _bindResult;
    private IActorRef _socket = ActorRefs.Nobody;
    private int _localPort = -1;
    private int _inFlight;
    private long _received;
    private long _echoed;
    private long _echoedBytes;
    /// <summary>Datagrams received when the backlog probe out was sent; -1: none is out.</summary>
    private long _probeSentAt = -1;
    /// <summary>The last probe found more than <c>max-pending-datagrams</c> datagrams ahead of it.</summary>
    private bool _backlogged;

    /// <param name="udpManager">Akka.IO's UDP manager, or a stand-in (specs); by default the system's.</param>
    /// <param name="time">The clock of the rate limits; by default the system clock.</param>
    public UdpEchoListener(UdpEchoSettings settings, IPEndPoint endpoint, IActorRef? udpManager, TimeProvider? time)
    {
        _settings = settings;
        _endpoint = endpoint;
        _udpManager = udpManager;
        _time = time ?? TimeProvider.System;
        _perSource = new SourceRateLimiter(settings.PerSourcePacketsPerSecond, settings.PerSourceBytesPerSecond, settings.MaxSources, _time);
        _global = new TokenBucket(settings.GlobalPacketsPerSecond, settings.GlobalBytesPerSecond, _time.TimestampFrequency, _time.GetTimestamp());
        _dropLog = new DropLog(settings.DropLogInterval, _time, line => _log.Warning(line));
        Binding();
    }

    public static Props Props(UdpEchoSettings settings, IPEndPoint endpoint, IActorRef? udpManager = null, TimeProvider? time = null) =>
        Akka.Actor.Props.Create(() => new UdpEchoListener(settings, endpoint, udpManager, time));

    protected override void PreStart()
    {
        var options = new List<Inet.SocketOption>();
        if (_settings.SocketReceiveBufferSize is { } receiveBuffer)
            options.Add(new Inet.SO.ReceiveBufferSize(receiveBuffer));
        if (DualStackSocketOption.AppliesTo(_endpoint))
            options.Add(DualStackSocketOption.Instance);
        (_udpManager ?? Context.System.Udp()).Tell(new Udp.Bind(Self, _endpoint, options));
    }

    protected override void PostStop() => _dropLog.Flush();

    private void Binding()
    {
        Receive<Udp.Bound>(bound =>
        {
            var local = bound.LocalAddress as IPEndPoint ?? _endpoint;
            _socket = Sender;
            _localPort = local.Port;
            Context.Watch(_socket);
            _log.Info("Serving UDP echo on {0}: at most {1} B per datagram, {2}/s and {3} B/s per source, {4}/s and {5} B/s in all",
                EndpointParser.Format(local), _settings.MaxDatagramSize, _settings.PerSourcePacketsPerSecond,
                _settings.PerSourceBytesPerSecond, _settings.GlobalPacketsPerSecond, _settings.GlobalBytesPerSecond);
            CompleteBind(new BindSucceeded(local));
            Become(Echoing);
        });
        Receive<Udp.CommandFailed>(_ =>
        {
            CompleteBind(new BindFailed($"cannot listen on udp {EndpointParser.Format(_endpoint)}: {DescribeBindFailure(_endpoint)}"));
            Become(BindFailedState);
        });
        Receive<GetBindResult>(_ => _bindWaiters.Add(Sender));
        Receive<Drain>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<ChangeSettings>(_ => Sender.Tell(Akka.Done.Instance)); // not serving yet: the host reloads once bound
    }

    /// <summary>After a failed bind: Akka's listener still sends a <c>Bound</c> for its unbound socket, then
    /// stops; the host terminates the system.</summary>
    private void BindFailedState()
    {
        Receive<GetBindResult>(_ => Sender.Tell(_bindResult));
        Receive<Drain>(_ => Sender.Tell(Akka.Done.Instance));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        ReceiveAny(_ => { });
    }

    private void Echoing()
    {
        Receive<Udp.Received>(OnDatagram);
        Receive<Drain>(_ =>
        {
            _drainWaiters.Add(Sender);
            _log.Debug("UDP: no longer echoing; echoes in flight: {0}", _inFlight);
            Become(Draining);
            UnbindIfIdle();
        });
        CommonReceives();
    }

    private void Draining()
    {
        Receive<Udp.Received>(received =>
        {
            CountReceived();
            Drop(UdpMetrics.Reasons.ShuttingDown, received.Sender);
        });
        Receive<Drain>(_ => _drainWaiters.Add(Sender));
        CommonReceives();
    }

    private void Unbinding()
    {
        Receive<Udp.Unbound>(_ => Unbound());
        // Akka's listener stops right after answering Unbound; its death before that means the same.
        Receive<Terminated>(terminated => terminated.ActorRef.Equals(_socket), _ => Unbound());
        Receive<Udp.Received>(received =>
        {
            CountReceived();
            Drop(UdpMetrics.Reasons.ShuttingDown, received.Sender);
        });
        Receive<Drain>(_ =>
        {
            if (_socket.IsNobody())
                Sender.Tell(Akka.Done.Instance);
            else
                _drainWaiters.Add(Sender);
        });
        Receive<Sent>(OnSent);
        Receive<BacklogProbe>(_ => OnBacklogProbe());
        Receive<Udp.CommandFailed>(_ => { });
        Receive<Udp.Bound>(_ => { });
        Receive<GetBindResult>(_ => Sender.Tell(_bindResult));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<ChangeSettings>(_ => Sender.Tell(Akka.Done.Instance));
    }

    private void CommonReceives()
    {
        Receive<BacklogProbe>(_ => OnBacklogProbe());
        Receive<Sent>(sent =>
        {
            OnSent(sent);
            UnbindIfIdle();
        });
        Receive<Udp.CommandFailed>(failed => failed.Cmd is Udp.Send, failed =>
        {
            _inFlight--;
            Drop(UdpMetrics.Reasons.SendFailed, ((Udp.Send)failed.Cmd).Target);
            UnbindIfIdle();
        });
        // A second Bound, a failed re-bind, or the listener's death: Akka.IO restarted or lost the socket.
        Receive<Udp.Bound>(bound => OnSocketLost($"Akka.IO re-bound it on {bound.LocalAddress} after a failure"));
        Receive<Udp.CommandFailed>(_ => OnSocketLost("Akka.IO could not re-bind it after a failure"));
        Receive<Terminated>(terminated => terminated.ActorRef.Equals(_socket), _ => OnSocketLost("Akka.IO's UDP listener stopped"));
        Receive<GetBindResult>(_ => Sender.Tell(_bindResult));
        Receive<GetStats>(_ => Sender.Tell(Stats()));
        Receive<ChangeSettings>(change =>
        {
            _settings = change.Settings;
            _log = Context.GetLogger();
            _perSource = new SourceRateLimiter(_settings.PerSourcePacketsPerSecond, _settings.PerSourceBytesPerSecond, _settings.MaxSources, _time);
            _global = new TokenBucket(_settings.GlobalPacketsPerSecond, _settings.GlobalBytesPerSecond, _time.TimestampFrequency, _time.GetTimestamp());
            _dropLog.Flush();
            _dropLog = new DropLog(_settings.DropLogInterval, _time, line => _log.Warning(line));
            Sender.Tell(Akka.Done.Instance);
        });
    }

    private void OnDatagram(Udp.Received datagram)
    {
        CountReceived();
        if (RefusalOf(datagram) is { } reason)
        {
            Drop(reason, datagram.Sender);
            return;
        }
        _inFlight++;
        _socket.Tell(new Udp.Send(datagram.Data, datagram.Sender, new Sent(datagram.Data.Count)));
    }

    /// <summary>Why <paramref name="datagram"/> gets no echo, or null if it gets one (its tokens are then taken).
    /// The cheap, stateless checks come first; the rate limits last, so that refused datagrams cost no tokens.</summary>
    private string? RefusalOf(Udp.Received datagram)
    {
        // Only a flood makes the mailbox grow: drop unread until it has drained back under the limit.
        ProbeBacklog();
        if (_backlogged)
            return UdpMetrics.Reasons.ReceiveBacklog;
        var size = datagram.Data.Count;
        if (size == 0)
            return UdpMetrics.Reasons.Empty;
        if (size > _settings.MaxDatagramSize)
            return UdpMetrics.Reasons.TooLarge;
        if (datagram.Sender is not IPEndPoint source)
            return UdpMetrics.Reasons.RefusedAddress;
        var address = SourceAddress.Normalize(source.Address);
        if (!SourceAddress.MayReceiveEcho(address))
            return UdpMetrics.Reasons.RefusedAddress;
        // The server's own port as a source is another echo server on the same port: a loop.
        if (_settings.RefusedSourcePorts.IsRefused(source.Port) || source.Port == _localPort)
            return UdpMetrics.Reasons.RefusedPort;
        if (_inFlight >= _settings.MaxRepliesInFlight)
            return UdpMetrics.Reasons.SendBacklog;
        switch (_perSource.TryTake(address, size))
        {
            case SourceRateLimiter.Verdict.OverRate:
                return UdpMetrics.Reasons.SourceRate;
            case SourceRateLimiter.Verdict.TableFull:
                return UdpMetrics.Reasons.SourceTableFull;
        }
        return _global.TryTake(size, _time.GetTimestamp()) ? null : UdpMetrics.Reasons.GlobalRate;
    }

    /// <summary>Measures the mailbox's backlog with public means only (Akka's mailbox size is internal): a
    /// probe told to itself comes back after every message queued before it, so the datagrams received in
    /// between are the backlog it found. One probe is out at a time; it is sent with a datagram.</summary>
    private void ProbeBacklog()
    {
        if (_probeSentAt >= 0)
            return;
        _probeSentAt = _received;
        Self.Tell(BacklogProbe.Instance);
    }

    private void OnBacklogProbe()
    {
        _backlogged = _received - _probeSentAt > _settings.MaxPendingDatagrams;
        _probeSentAt = -1;
    }

    private void OnSent(Sent sent)
    {
        _inFlight--;
        _echoed++;
        _echoedBytes += sent.Bytes;
        UdpMetrics.DatagramsEchoed.Add(1);
        UdpMetrics.BytesEchoed.Add(sent.Bytes);
    }

    private void CountReceived()
    {
        _received++;
        UdpMetrics.DatagramsReceived.Add(1);
    }

    private void Drop(string reason, EndPoint source)
    {
        _dropped[reason] = _dropped.GetValueOrDefault(reason) + 1;
        UdpMetrics.DatagramsDropped.Add(1, UdpMetrics.ReasonTag(reason));
        _dropLog.Dropped(reason, EndpointParser.Format(source));
    }

    /// <summary>In a drain: once every reply handed to Akka.IO has been acknowledged, release the socket.</summary>
    private void UnbindIfIdle()
    {
        if (_drainWaiters.Count == 0 || _inFlight > 0)
            return;
        _dropLog.Flush();
        Become(Unbinding);
        _socket.Tell(Udp.Unbind.Instance);
    }

    private void Unbound()
    {
        // Quiet when nothing was served: a start-up that fails after the UDP bind then adds no line to the shutdown,
        // whose last log events Akka prints to stdout if its logger is stopped before it has written them.
        if (!_socket.IsNobody() && _received > 0)
            _log.Info("UDP socket released; {0} datagram(s) received, {1} echoed", _received, _echoed);
        else if (!_socket.IsNobody())
            _log.Debug("UDP socket released; no datagram received");
        Context.Unwatch(_socket);
        _socket = ActorRefs.Nobody;
        foreach (var waiter in _drainWaiters)
            waiter.Tell(Akka.Done.Instance);
        _drainWaiters.Clear();
    }

    private void OnSocketLost(string what)
    {
        var reason = new ListeningSocketLost(
            $"the UDP socket on {EndpointParser.Format((_bindResult as BindSucceeded)?.LocalAddress ?? _endpoint)} failed ({what}); shutting down");
        _log.Error(reason.Message);
        Context.Unwatch(_socket);
        _socket = ActorRefs.Nobody;
        Become(Unbinding);
        Unbound();
        CoordinatedShutdown.Get(Context.System).Run(reason);
    }

    private void CompleteBind(BindResult result)
    {
        _bindResult = result;
        foreach (var waiter in _bindWaiters)
            waiter.Tell(result);
        _bindWaiters.Clear();
    }

    private UdpStats Stats() =>
        new(_received, _echoed, _echoedBytes, _inFlight, _perSource.Count, new Dictionary<string, long>(_dropped));

    /// <summary>Akka.IO's <c>CommandFailed</c> for a bind carries no cause; binding a socket here shows it.</summary>
    private static string DescribeBindFailure(IPEndPoint endpoint)
    {
        try
        {
            using var probe = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(endpoint);
            return "the address is in use or not available";
        }
        catch (Exception e) when (IsBindRefusal(e))
        {
            return OneLine.Of(e.Message);
        }
    }

    /// <summary>The OS refusing the bind (SocketException: in use, not local, no permission), or the address itself
    /// (ArgumentException, NotSupportedException: a family this host has no socket for).</summary>
    private static bool IsBindRefusal(Exception e) => e is SocketException or ArgumentException or NotSupportedException;
}
