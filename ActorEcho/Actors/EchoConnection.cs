using System.Net;
using ActorEcho.Diagnostics;
using ActorEcho.Hosting;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace ActorEcho.Actors;

/// <summary>
/// Echoes one accepted TCP connection. The connection is bound in pull mode: Akka.IO reads from the socket only
/// when asked (<see cref="Tcp.ResumeReading"/>), once per request. That request is the server's only
/// backpressure towards the client, so it is sent only while the bytes written but not yet acknowledged by
/// Akka.IO stay under the high watermark; above it, reading waits until acknowledgements bring them under the
/// low watermark. Memory per connection is therefore bounded by the high watermark plus one frame, whatever
/// the client sends and however slowly it reads.
/// </summary>
/// <remarks>
/// States: <see cref="Echoing"/> until the connection is to end, then <see cref="Closing"/> until Akka.IO
/// confirms it closed. The actor never stops while its connection is open, because Akka.IO answers a handler's
/// death with a reset that throws away echo bytes not yet sent.
/// </remarks>
public sealed class EchoConnection : UntypedActor, IWithTimers
{
    /// <summary>Sent by the listener at shutdown: echo what was already received, then close with FIN.</summary>
    public sealed class Drain
    {
        public static readonly Drain Instance = new();
        private Drain() { }
    }

    /// <summary>The ack event carried by every echo write. Akka.IO acks writes in order, so the lengths they
    /// stand for are kept in a queue and one shared event serves them all.</summary>
    internal sealed class WriteAck : Tcp.Event
    {
        public static readonly WriteAck Instance = new();
        private WriteAck() { }
    }

    /// <summary>Timer tick of the idle check: four per idle timeout, so an idle connection is closed between one
    /// and one and a quarter idle timeouts after its last traffic.</summary>
    private sealed class IdleCheck
    {
        public static readonly IdleCheck Instance = new();
        private IdleCheck() { }
    }

    private const int IdleChecksPerTimeout = 4;

    /// <summary>Timer: the client did not answer a drain's FIN within <c>drain-linger</c>.</summary>
    private sealed class DrainLingerElapsed
    {
        public static readonly DrainLingerElapsed Instance = new();
        private DrainLingerElapsed() { }
    }

    private readonly IActorRef _connection;
    /// <summary>The client's address as logged, formatted once: log calls evaluate their arguments even at a
    /// disabled level, and the pause/resume ones sit on the backpressure path.</summary>
    private readonly string _remote;
    private readonly EchoSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<int> _unackedWrites = new();

    private long _unackedBytes;
    private bool _readRequested;
    private bool _pausedByBackpressure;
    private bool _peerClosed;
    private bool _draining;
    private bool _connectionClosed;
    private bool _failed;
    private string? _closeReason;
    private long _lastActivityMs = Environment.TickCount64;

    public EchoConnection(IActorRef connection, EndPoint remote, EchoSettings settings)
    {
        _connection = connection;
        _remote = EndpointParser.Format(remote);
        _settings = settings;
    }

    public static Props Props(IActorRef connection, EndPoint remote, EchoSettings settings) =>
        Akka.Actor.Props.Create(() => new EchoConnection(connection, remote, settings));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Context.Watch(_connection);
        _connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true, useResumeWriting: false));
        // Idle detection stamps the time of each read and ack, and a periodic timer compares. Akka's receive
        // timeout would do the same job but reschedules a timer on every message, a measurable share of the
        // CPU spent per echoed frame.
        if (_settings.IdleTimeout is { } idle)
            Timers.StartPeriodicTimer(IdleCheck.Instance, IdleCheck.Instance, idle / IdleChecksPerTimeout);
        RequestReadIfAllowed();
    }

    protected override void PostStop()
    {
        string reason;
        if (!_connectionClosed)
        {
            // Only reached with the connection still open after a failure or a drain timeout: say so explicitly
            // rather than rely on Akka.IO noticing the handler's death.
            _connection.Tell(Tcp.Abort.Instance);
            reason = _failed ? EchoMetrics.Reasons.Failed
                : _draining ? EchoMetrics.Reasons.DrainTimeout
                : EchoMetrics.Reasons.Stopped;
        }
        else
        {
            reason = _failed ? EchoMetrics.Reasons.Failed : _closeReason ?? EchoMetrics.Reasons.PeerClosed;
        }
        EchoMetrics.ConnectionsClosed.Add(1, EchoMetrics.ReasonTag(reason));
    }

    /// <summary>Notes that a handler threw, so that <see cref="PostStop"/> (run when supervision stops this actor)
    /// reports the close as a failure. A try block costs nothing until something throws.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    protected override void OnReceive(object message) => Echoing(message);

    // The states are plain switches (an UntypedActor) rather than ReceiveActor registrations: no handler
    // tables per instance, which matters at ten thousand connections, and the cheapest dispatch per frame.
    private void Echoing(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                _lastActivityMs = Environment.TickCount64;
                _readRequested = false;
                var data = received.Data;
                if (data.Count > 0)
                {
                    EchoMetrics.BytesReceived.Add(data.Count);
                    _unackedWrites.Enqueue(data.Count);
                    _unackedBytes += data.Count;
                    _connection.Tell(Tcp.Write.Create(data, WriteAck.Instance));
                }
                RequestReadIfAllowed();
                break;
            case WriteAck:
                _lastActivityMs = Environment.TickCount64;
                var acked = _unackedWrites.Dequeue();
                _unackedBytes -= acked;
                EchoMetrics.BytesSent.Add(acked);
                RequestReadIfAllowed();
                CloseIfFinished();
                break;
            case Tcp.PeerClosed: // before ConnectionClosed, of which it is a kind
                _log.Debug("Peer {0} half-closed; finishing {1} echo bytes", _remote, _unackedBytes);
                _peerClosed = true;
                CloseIfFinished();
                break;
            case Drain:
                _draining = true;
                CloseIfFinished();
                break;
            case IdleCheck:
                if (IdleTimeElapsed())
                    OnIdle();
                break;
            default:
                HandleEnd(message);
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
                EchoMetrics.BytesReceived.Add(received.Data.Count);
                _connection.Tell(Tcp.ResumeReading.Instance);
                break;
            case WriteAck or Tcp.PeerClosed or Drain:
                break;
            case DrainLingerElapsed:
                // Every echo byte was handed over before our FIN; a client that stays connected without answering
                // it would otherwise hold the shutdown for the whole drain-timeout. (After a ConfirmedClose,
                // Akka.IO accepts only Abort.) The close still counts as drained.
                _log.Debug("Connection from {0} did not answer the drain's FIN within {1}; resetting", _remote, _settings.DrainLinger);
                _connection.Tell(Tcp.Abort.Instance);
                break;
            case IdleCheck:
                if (!IdleTimeElapsed())
                    return;
                _log.Debug("Connection from {0} did not finish closing within the idle timeout; aborting", _remote);
                _connection.Tell(Tcp.Abort.Instance);
                _lastActivityMs = Environment.TickCount64; // the abort gets a whole idle period to be confirmed
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    /// <summary>What both states do alike: the connection's end, a refused command, the connection actor's death.</summary>
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
                _log.Debug("Connection from {0}: queued echo write dropped as the connection ends", _remote);
                break;
            case Tcp.CommandFailed failed:
                OnCommandFailed(failed);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_connection):
                OnConnectionActorDied();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RequestReadIfAllowed()
    {
        if (_readRequested || _peerClosed || _draining)
            return;

        if (_pausedByBackpressure)
        {
            if (_unackedBytes > _settings.WriteLowWatermark)
                return;
            _pausedByBackpressure = false;
            _log.Debug("Resuming reads from {0}: {1} unacked bytes", _remote, _unackedBytes);
        }
        else if (_unackedBytes >= _settings.WriteHighWatermark)
        {
            _pausedByBackpressure = true;
            EchoMetrics.ReadsSuspended.Add(1);
            _log.Debug("Pausing reads from {0}: {1} unacked bytes", _remote, _unackedBytes);
            return;
        }

        _readRequested = true;
        _connection.Tell(Tcp.ResumeReading.Instance);
    }

    private void CloseIfFinished()
    {
        if (_unackedBytes != 0)
            return;

        if (_peerClosed)
        {
            // The client sent its FIN and everything it sent has been echoed: a plain close ends both sides.
            _closeReason = EchoMetrics.Reasons.PeerClosed;
            _connection.Tell(Tcp.Close.Instance);
            BeginClosing();
        }
        else if (_draining)
        {
            _closeReason = EchoMetrics.Reasons.Drained;
            // The client may still be sending. Half-close so it reads our FIN after the last echo byte, and keep
            // reading until its own FIN: closing a socket with unread input would send a reset instead, and a
            // reset can destroy echo bytes the client has not read yet.
            _connection.Tell(Tcp.ConfirmedClose.Instance);
            if (!_readRequested)
                _connection.Tell(Tcp.ResumeReading.Instance);
            Timers.StartSingleTimer(DrainLingerElapsed.Instance, DrainLingerElapsed.Instance, _settings.DrainLinger);
            BeginClosing();
        }
    }

    /// <summary>Waits for Akka.IO to confirm the close just asked for, giving it a whole idle period before the
    /// close is declared stuck and aborted.</summary>
    private void BeginClosing()
    {
        _lastActivityMs = Environment.TickCount64;
        Become(Closing);
    }

    private bool IdleTimeElapsed() =>
        Environment.TickCount64 - _lastActivityMs >= (long)_settings.IdleTimeout!.Value.TotalMilliseconds;

    private void OnIdle()
    {
        if (_unackedBytes == 0)
        {
            _log.Debug("Connection from {0} idle for {1}; closing", _remote, _settings.IdleTimeout);
            _closeReason = EchoMetrics.Reasons.IdleTimeout;
            _connection.Tell(Tcp.Close.Instance);
            BeginClosing();
        }
        else
        {
            // Nothing was acknowledged for a whole idle period: the client stopped reading its echo.
            _log.Debug("Connection from {0} read nothing for {1} with {2} echo bytes pending; aborting",
                _remote, _settings.IdleTimeout, _unackedBytes);
            _closeReason = EchoMetrics.Reasons.SlowReader;
            _connection.Tell(Tcp.Abort.Instance);
            BeginClosing();
        }
    }

    private void OnConnectionClosed(Tcp.ConnectionClosed closed)
    {
        _connectionClosed = true;
        var reason = closed switch
        {
            Tcp.ErrorClosed error => $"error: {error.Cause}",
            Tcp.Aborted => "aborted",
            Tcp.ConfirmedClosed => "closed (confirmed)",
            Tcp.PeerClosed => "peer closed",
            _ => "closed",
        };
        _log.Debug("Connection from {0} ended: {1}", _remote, reason);
        // A close this actor did not start: the client reset the connection or the socket failed.
        if (closed is Tcp.ErrorClosed or Tcp.Aborted)
            _closeReason ??= EchoMetrics.Reasons.Error;
        Context.Stop(Self);
    }

    private void OnCommandFailed(Tcp.CommandFailed failed)
    {
        _log.Warning("Connection from {0}: {1} failed ({2}); aborting", _remote, failed.Cmd.GetType().Name,
            failed.Cause.HasValue ? failed.Cause.Value.Message : "no cause given");
        // After an abort of our own, the writes still queued fail too: the first reason stands.
        _closeReason ??= EchoMetrics.Reasons.Aborted;
        _connection.Tell(Tcp.Abort.Instance);
        BeginClosing();
    }

    private void OnConnectionActorDied()
    {
        _connectionClosed = true;
        _closeReason ??= EchoMetrics.Reasons.Error;
        _log.Debug("Connection actor for {0} stopped", _remote);
        Context.Stop(Self);
    }
}
