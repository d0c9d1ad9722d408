using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace ActorEcho.Actors;

/// <summary>
/// Echoes one accepted TCP connection. The connection is bound in pull mode: Akka.IO reads from the socket only
/// when asked (<see cref="Tcp.ResumeReading"/>), once per request. That request is the server's only
/// backpressure towards the client, so it is sent only while the <see cref="EchoWindow"/> (the bytes written but
/// not yet acknowledged by Akka.IO) allows it. Memory per connection is therefore bounded by the high watermark
/// plus one frame, whatever the client sends and however slowly it reads.
/// </summary>
/// <remarks>
/// <para>States:</para>
/// <list type="bullet">
/// <item><see cref="Echoing"/>: reads, echoes, reads again as the window allows.</item>
/// <item><see cref="Finishing"/>: the client closed its side (<see cref="CloseReason.PeerClosed"/>) or the
/// server is shutting down (<see cref="CloseReason.Drained"/>): no more reads are asked for; once every echo
/// write is acknowledged, the connection closes.</item>
/// <item><see cref="Closing"/>: a close command was sent for a <see cref="CloseReason"/>; waits for Akka.IO
/// to confirm it.</item>
/// </list>
/// <para>Every close goes through <see cref="BeginClosing"/>, which sends the command and records the reason;
/// <see cref="PostStop"/> only reports it. The actor never stops while its connection is open, because Akka.IO
/// answers a handler's death with a reset that throws away echo bytes not yet sent.</para>
/// </remarks>
public sealed class EchoConnection : UntypedActor, IWithTimers
{
    /// <summary>Sent by the listener at shutdown: echo what was already received, then close with FIN.</summary>
    public sealed class Drain
    {
        public static readonly Drain Instance = new();
        private Drain() { }
    }

    /// <summary>The ack event carried by every echo write: Akka.IO acks writes in order, so one shared event
    /// serves them all (the <see cref="EchoWindow"/> keeps the lengths).</summary>
    internal sealed class WriteAck : Tcp.Event
    {
        public static readonly WriteAck Instance = new();
        private WriteAck() { }
    }

    /// <summary>Tick of the periodic idle timer, <see cref="IdleTicksPerTimeout"/> per idle timeout.</summary>
    private sealed class IdleTick
    {
        public static readonly IdleTick Instance = new();
        private IdleTick() { }
    }

    /// <summary>A connection is idle after this many whole tick periods without traffic, so it is closed between
    /// one and one and a quarter idle timeouts after its last traffic. Counting ticks, rather than reading a
    /// clock, lets specs drive idleness in virtual time.</summary>
    private const int IdleTicksPerTimeout = 4;

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
    private readonly EchoWindow _window;

    /// <summary>A read was asked for and its <see cref="Tcp.Received"/> has not come yet (pull mode allows one).</summary>
    private bool _readRequested;
    /// <summary>Traffic (a read or an ack) since the last idle tick.</summary>
    private bool _activeSinceTick;
    private int _quietTicks;
    /// <summary>In <see cref="Finishing"/>: how the connection will close once the window is empty.</summary>
    private CloseReason _finishAs;
    /// <summary>In <see cref="Closing"/>, or once the connection ended: why.</summary>
    private CloseReason _closeReason;
    private bool _closing;
    private bool _drainRequested;
    private bool _connectionClosed;
    private bool _failed;

    public EchoConnection(IActorRef connection, EndPoint remote, EchoSettings settings)
    {
        _connection = connection;
        _remote = EndpointParser.Format(remote);
        _settings = settings;
        _window = new EchoWindow(settings.WriteHighWatermark, settings.WriteLowWatermark);
    }

    public static Props Props(IActorRef connection, EndPoint remote, EchoSettings settings) =>
        Akka.Actor.Props.Create(() => new EchoConnection(connection, remote, settings));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Context.Watch(_connection);
        _connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true, useResumeWriting: false));
        // Reads and acks mark the connection active, and a periodic timer counts the ticks that saw no traffic.
        // Akka's receive timeout would do the same job but reschedules a timer on every message, a measurable
        // share of the CPU spent per echoed frame.
        if (_settings.IdleTimeout is { } idle)
            Timers.StartPeriodicTimer(IdleTick.Instance, IdleTick.Instance, idle / IdleTicksPerTimeout);
        RequestReadIfAllowed();
    }

    protected override void PostStop()
    {
        if (!_connectionClosed)
        {
            // Only reached with the connection still open after a failure or a stop from outside (the drain
            // timeout, the system's shutdown): say so explicitly rather than rely on Akka.IO noticing the
            // handler's death.
            _connection.Tell(Tcp.Abort.Instance);
        }
        EchoMetrics.ConnectionsClosed.Add(1, EchoMetrics.ReasonTag(ReportedReason()));
    }

    private CloseReason ReportedReason() =>
        _failed ? CloseReason.Failed
        : _connectionClosed ? _closeReason
        : _drainRequested ? CloseReason.DrainTimeout
        : CloseReason.Stopped;

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
                Echo(received);
                RequestReadIfAllowed();
                break;
            case WriteAck:
                OnAck();
                RequestReadIfAllowed();
                break;
            case Tcp.PeerClosed: // before ConnectionClosed, of which it is a kind
                _log.Debug("Peer {0} half-closed; finishing {1} echo bytes", _remote, _window.UnackedBytes);
                BeginFinishing(CloseReason.PeerClosed);
                break;
            case Drain:
                _drainRequested = true;
                BeginFinishing(CloseReason.Drained);
                break;
            case IdleTick:
                if (IdleTickElapsed())
                    OnIdle();
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    /// <summary>No more reads are asked for; the echo of what was read goes on until the window is empty, then the
    /// connection closes as <see cref="_finishAs"/> says. A drain's rules for the client's remaining traffic
    /// belong here.</summary>
    private void Finishing(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                // A read asked for before the drain: its bytes are echoed like any others.
                Echo(received);
                break;
            case WriteAck:
                OnAck();
                CloseIfFinished();
                break;
            case Tcp.PeerClosed:
                // During a drain the client closed first: a plain close then ends both sides.
                _finishAs = CloseReason.PeerClosed;
                CloseIfFinished();
                break;
            case Drain:
                _drainRequested = true;
                break;
            case IdleTick:
                if (IdleTickElapsed())
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
            case IdleTick:
                if (!IdleTickElapsed())
                    return;
                // The abort gets a whole idle period of its own to be confirmed.
                _log.Debug("Connection from {0} did not finish closing within the idle timeout; aborting", _remote);
                _connection.Tell(Tcp.Abort.Instance);
                break;
            case Tcp.CommandFailed { Cmd: not Tcp.WriteCommand } failed:
                // Already closing: abort, and the reason first given stands.
                LogCommandFailed(failed);
                _connection.Tell(Tcp.Abort.Instance);
                _activeSinceTick = true;
                break;
            default:
                HandleEnd(message);
                break;
        }
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
                _log.Debug("Connection from {0}: queued echo write dropped as the connection ends", _remote);
                break;
            case Tcp.CommandFailed failed:
                LogCommandFailed(failed);
                BeginClosing(Tcp.Abort.Instance, CloseReason.Aborted);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_connection):
                _log.Debug("Connection actor for {0} stopped", _remote);
                Ended(CloseReason.Error);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Echo(Tcp.Received received)
    {
        _activeSinceTick = true;
        _readRequested = false;
        var data = received.Data;
        if (data.Count == 0)
            return;
        EchoMetrics.BytesReceived.Add(data.Count);
        _window.Written(data.Count);
        _connection.Tell(Tcp.Write.Create(data, WriteAck.Instance));
    }

    private void OnAck()
    {
        _activeSinceTick = true;
        EchoMetrics.BytesSent.Add(_window.Acked());
    }

    private void RequestReadIfAllowed()
    {
        if (_readRequested)
            return;

        switch (_window.NextRead())
        {
            case ReadGate.StillPaused:
                return;
            case ReadGate.Paused:
                EchoMetrics.ReadsSuspended.Add(1);
                _log.Debug("Pausing reads from {0}: {1} unacked bytes", _remote, _window.UnackedBytes);
                return;
            case ReadGate.Resumed:
                _log.Debug("Resuming reads from {0}: {1} unacked bytes", _remote, _window.UnackedBytes);
                break;
        }

        _readRequested = true;
        _connection.Tell(Tcp.ResumeReading.Instance);
    }

    /// <summary>Echoing → Finishing: stop asking for reads, close once the window is empty.</summary>
    private void BeginFinishing(CloseReason finishAs)
    {
        _finishAs = finishAs;
        Become(Finishing);
        CloseIfFinished();
    }

    private void CloseIfFinished()
    {
        if (!_window.IsEmpty)
            return;

        if (_finishAs == CloseReason.PeerClosed)
        {
            // The client sent its FIN and everything it sent has been echoed: a plain close ends both sides.
            BeginClosing(Tcp.Close.Instance, CloseReason.PeerClosed);
            return;
        }

        // Drained. The client may still be sending. Half-close so it reads our FIN after the last echo byte, and
        // keep reading until its own FIN: closing a socket with unread input would send a reset instead, and a
        // reset can destroy echo bytes the client has not read yet.
        BeginClosing(Tcp.ConfirmedClose.Instance, CloseReason.Drained);
        if (!_readRequested)
            _connection.Tell(Tcp.ResumeReading.Instance);
        Timers.StartSingleTimer(DrainLingerElapsed.Instance, DrainLingerElapsed.Instance, _settings.DrainLinger);
    }

    /// <summary>The one way into <see cref="Closing"/>: sends <paramref name="command"/>, records why, and gives
    /// Akka.IO a whole idle period to confirm before the close is declared stuck and aborted.</summary>
    private void BeginClosing(Tcp.CloseCommand command, CloseReason reason)
    {
        _connection.Tell(command);
        _closeReason = reason;
        _closing = true;
        _activeSinceTick = true;
        Become(Closing);
    }

    /// <summary>Whether this tick completes an idle timeout: <see cref="IdleTicksPerTimeout"/> whole tick periods
    /// without traffic. Restarts the count when it does.</summary>
    private bool IdleTickElapsed()
    {
        if (_activeSinceTick)
        {
            _activeSinceTick = false;
            _quietTicks = 0;
            return false;
        }
        if (++_quietTicks < IdleTicksPerTimeout)
            return false;
        _quietTicks = 0;
        return true;
    }

    private void OnIdle()
    {
        if (_window.IsEmpty)
        {
            _log.Debug("Connection from {0} idle for {1}; closing", _remote, _settings.IdleTimeout);
            BeginClosing(Tcp.Close.Instance, CloseReason.IdleTimeout);
        }
        else
        {
            // Nothing was acknowledged for a whole idle period: the client stopped reading its echo.
            _log.Debug("Connection from {0} read nothing for {1} with {2} echo bytes pending; aborting",
                _remote, _settings.IdleTimeout, _window.UnackedBytes);
            BeginClosing(Tcp.Abort.Instance, CloseReason.SlowReader);
        }
    }

    private void OnConnectionClosed(Tcp.ConnectionClosed closed)
    {
        _log.Debug("Connection from {0} ended: {1}", _remote, closed switch
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
        if (!_closing)
            _closeReason = reason;
        _connectionClosed = true;
        Context.Stop(Self);
    }

    private void LogCommandFailed(Tcp.CommandFailed failed) =>
        _log.Warning("Connection from {0}: {1} failed ({2}); aborting", _remote, failed.Cmd.GetType().Name,
            failed.Cause.HasValue ? failed.Cause.Value.Message : "no cause given");
}
