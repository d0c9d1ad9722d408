using System.Diagnostics;
using System.Net;
using ActorEcho.Actors;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.Networking;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using DrainLingerElapsed = ActorEcho.Actors.EchoConnection.DrainLingerElapsed;
using QuietCheck = ActorEcho.Actors.EchoConnection.QuietCheck;
using WriteAck = ActorEcho.Actors.EchoConnection.WriteAck;

namespace ActorEcho.Tls;

/// <summary>The TLS listener's kind of connection (<see cref="EchoListener"/> spawns a <see cref="TlsEchoConnection"/>
/// per client): the shared credentials and the handshake timeout.</summary>
public sealed record TlsEchoKind(TlsServerCredentials Credentials, TimeSpan HandshakeTimeout) : ConnectionKind("tls")
{
    /// <summary>TLS passthrough behind a balancer (HAProxy <c>send-proxy-v2</c> in TCP mode): the PROXY header comes
    /// before the ClientHello.</summary>
    public override bool ReadsProxyHeader => true;

    public override Props ConnectionProps(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings,
        EchoBudget budget, bool expectProxyHeader) =>
        Props.Create<TlsEchoConnection>(connection, remote, local, settings, budget, this, expectProxyHeader);
}

/// <summary>
/// Echoes one accepted TLS connection: the same kind of actor as <see cref="EchoConnection"/> (a child of the
/// listener, Akka.IO in pull mode, writes acknowledged), with .NET's SslStream between the socket and the echo. The
/// TLS work runs in a task (<see cref="TlsSession"/>) over a <see cref="CiphertextStream"/>; it reaches this actor
/// only by messages, and this actor answers only by completing the task's reads and writes.
/// </summary>
/// <remarks>
/// <para>Backpressure: every write is handed to Akka.IO and completed at once; SslStream's next read is answered only
/// while the <see cref="EchoWindow"/> of ciphertext handed to Akka.IO and not yet acknowledged allows it (the same
/// watermarks and <see cref="EchoBudget"/> rule as plain echo), otherwise on the acknowledgement that reopens it. So
/// a connection whose client stops reading waits in the echo loop's zero-byte read, where neither the loop nor
/// SslStream holds a buffer. The budget counts ciphertext: those are the bytes this connection holds beyond its fixed
/// state (SslStream's and OpenSSL's, and at most one frame of ciphertext read ahead).</para>
/// <para>States: <see cref="ReadingProxyHeader"/> (PROXY protocol on, the peer a trusted balancer: the header and the
/// client's admission, as in <see cref="EchoConnection"/>, before the handshake task starts) →
/// <see cref="Handshaking"/> (timer: handshake-timeout) → <see cref="Echoing"/> (or
/// <see cref="Draining"/>) → <see cref="Closing"/>. The echo ends when the ciphertext ends: the client's close_notify
/// (SslStream reads 0), or this actor ending the ciphertext it gives SslStream (the client's FIN, the drain once
/// quiet, the drain timeout, the idle timeout). The loop then sends our close_notify, and only after its last write
/// does this actor close the TCP connection (FIN).</para>
/// </remarks>
public sealed class TlsEchoConnection : UntypedActor, IWithTimers
{
    private sealed class HandshakeTimedOut
    {
        public static readonly HandshakeTimedOut Instance = new();
        private HandshakeTimedOut() { }
    }

    private readonly IActorRef _connection;
    private readonly EndPoint _remoteAddress;
    /// <summary>The listener's address the client reached (the access log's <c>listener</c>).</summary>
    private readonly EndPoint _local;
    /// <summary>The client's address as logged, formatted on first use; with PROXY, the header's client.</summary>
    private string? _remote;
    /// <summary>Until the client is admitted: the PROXY header step (docs/edge.md), before any handshake. Null
    /// otherwise: the handshake has started.</summary>
    private ProxyHeaderStep? _proxyHeader;
    /// <summary>With PROXY, the balancer, for the access log ("via"); null for a direct client.</summary>
    private string? _via;
    /// <summary>With the access log on: what the handshake negotiates, recorded by its validation callback.</summary>
    private readonly NegotiatedTlsRecorder? _negotiatedRecorder;
    private NegotiatedTls? _negotiated;
    // For the access log: ciphertext on the wire (handshake included), counted as messages arrive (AroundReceive).
    private long _bytesIn;
    private long _bytesOut;
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly EchoSettings _settings;
    private readonly TlsEchoKind _kind;
    private readonly EchoWindow _window;
    private ILoggingAdapter? _logger;

    /// <summary>SslStream's read waiting for ciphertext; at most one.</summary>
    private CiphertextRead? _pendingRead;
    /// <summary>The window is closed (<see cref="MayReadMore"/>): SslStream's reads wait, and so the echo loop waits
    /// in a zero-byte read holding no buffer, until acknowledgements reopen it.</summary>
    private bool _readsPaused;
    /// <summary>Ciphertext received and not yet read by SslStream (a frame larger than its read).</summary>
    private ByteString _unread = ByteString.Empty;
    /// <summary>A ResumeReading was sent and its Received has not come yet.</summary>
    private bool _readRequested;
    /// <summary>No more ciphertext will be given to SslStream: once <see cref="_unread"/> is read, it reads 0.</summary>
    private bool _ciphertextEnded;
    /// <summary>SslStream has read the end; anything received later is discarded.</summary>
    private bool _endDelivered;
    /// <summary>How the connection closes once the echo loop ends after <see cref="_ciphertextEnded"/>.</summary>
    private CloseReason _finishAs = CloseReason.PeerClosed;
    private bool _handshakeSettled;
    private readonly IdleClock _idle = new();
    private DateTime _lastArrival = DateTime.UtcNow;
    private bool _drainRequested;
    private bool _drainTimedOut;
    private CloseReason _closeReason;
    private bool _closing;
    private bool _connectionClosed;
    private bool _failed;

    /// <param name="local">The listener's address the client reached.</param>
    /// <param name="expectProxyHeader">The peer is a trusted balancer: read its PROXY header before the handshake.</param>
    public TlsEchoConnection(IActorRef connection, EndPoint remote, EndPoint local, EchoSettings settings, EchoBudget budget,
        TlsEchoKind kind, bool expectProxyHeader)
    {
        _connection = connection;
        _remoteAddress = remote;
        _local = local;
        _settings = settings;
        _kind = kind;
        _window = new EchoWindow(settings.WriteHighWatermark, settings.WriteLowWatermark, budget);
        if (expectProxyHeader)
            _proxyHeader = new ProxyHeaderStep(settings.Edge.ProxyProtocol, (IPEndPoint)remote, Context.Parent, Self);
        if (settings.Edge.AccessLog)
            _negotiatedRecorder = new NegotiatedTlsRecorder();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private ILoggingAdapter Log => _logger ??= Context.GetLogger();

    private ILoggingAdapter? DebugLog => Context.System.EventStream.LogLevel <= LogLevel.DebugLevel ? Log : null;

    private string Remote => _remote ??= EndpointParser.Format(_remoteAddress);

    /// <summary>The PROXY step, while it exists, comes before the handshake; the handshake starts when it ends.</summary>
    private bool HandshakeStarted => _proxyHeader is null;

    protected override void PreStart()
    {
        Context.Watch(_connection);
        _connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true, useResumeWriting: false));
        if (_settings.IdleTimeout is { } idle)
            Timers.StartPeriodicTimer(IdleClock.Tick.Instance, IdleClock.Tick.Instance, IdleClock.TickInterval(idle));
        if (_proxyHeader is null)
        {
            StartHandshake();
            return;
        }
        Become(ReadingProxyHeader);
        _proxyHeader.Start(Timers, _settings.Edge.HeaderTimeout);
        RequestRead();
    }

    /// <summary>Starts the session task, whose handshake reads the ciphertext received so far (<see cref="_unread"/>:
    /// with PROXY, what came after the header) and then asks for more. The handshake timeout runs from here.</summary>
    private void StartHandshake()
    {
        Become(Handshaking);
        Timers.StartSingleTimer(HandshakeTimedOut.Instance, HandshakeTimedOut.Instance, _kind.HandshakeTimeout);
        var rejection = new CertificateRejection();
        var options = _kind.Credentials.OptionsFor(rejection, _negotiatedRecorder);
        var self = Self;
        var tag = _kind.ListenerTag;
        _ = Task.Run(() => TlsSession.RunAsync(self, options, rejection, tag));
    }

    /// <summary>PROXY protocol, as in <see cref="EchoConnection"/> (<see cref="ProxyHeaderStep"/>): the header is read,
    /// never echoed, and its client admitted by the listener; only then does the handshake start, with the bytes
    /// after the header. A bad or late header, or a refused client, closes the connection before any handshake.</summary>
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
                _remote = EndpointParser.Format(step.Client!);
                _via = EndpointParser.Format(step.Balancer);
                break;
            case ProxyStepOutcome.Close:
                DebugLog?.Debug("TLS connection from {0}: {1}; closing", Remote, step.Why);
                BeginClosing(Tcp.Close.Instance, step.CloseReason);
                break;
            case ProxyStepOutcome.Admitted:
                _proxyHeader = null;
                _unread = step.AfterHeader;
                StartHandshake();
                if (step.PeerClosedEarly)
                    EndCiphertext(CloseReason.HandshakeFailed);
                break;
            case ProxyStepOutcome.NotHandled:
                BeforeAdmission(message);
                break;
        }
    }

    /// <summary>Before admission: a drain waits for the handshake (the header timeout bounds the wait); the drain
    /// timeout closes at once, as nothing was echoed yet.</summary>
    private void BeforeAdmission(object message)
    {
        switch (message)
        {
            case EchoConnection.Drain:
                _drainRequested = true;
                break;
            case EchoConnection.DrainTimeoutReached:
                _drainRequested = true;
                _proxyHeader!.Cancel();
                BeginClosing(Tcp.Close.Instance, CloseReason.DrainTimeout);
                break;
            case IdleClock.Tick:
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    protected override void PostStop()
    {
        _window.Release();
        // The session task must not wait for an actor that is gone: fail what it waits for, and it ends.
        var gone = new IOException("the connection is closed");
        _pendingRead?.Done.TrySetException(gone);
        _pendingRead = null;
        if (HandshakeStarted && !_handshakeSettled)
            HandshakeFailedFor(EchoMetrics.HandshakeFailures.Protocol, "the connection ended during the handshake");
        if (!_connectionClosed)
            _connection.Tell(Tcp.Abort.Instance);
        var reason = ReportedReason();
        EchoMetrics.ConnectionsClosed.Add(1, EchoMetrics.ReasonTag(reason), _kind.ListenerTag);
        if (_settings.Edge.AccessLog)
            AccessLog.WriteTls(Log, Remote, _via, _local, _startedAt, _bytesIn, _bytesOut, reason, _negotiated);
    }

    private CloseReason ReportedReason() =>
        _failed ? CloseReason.Failed
        : _connectionClosed ? _closeReason
        : _drainRequested ? CloseReason.DrainTimeout
        : CloseReason.Stopped;

    protected override bool AroundReceive(Receive receive, object message)
    {
        if (_negotiatedRecorder is not null)
            CountForAccessLog(message);
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

    /// <summary>The access log's bytes: ciphertext received from Akka.IO, and ciphertext handed to it to send (its
    /// writes are refused only while closing). Counted here, where every message enters, with the access log on.</summary>
    private void CountForAccessLog(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                _bytesIn += received.Data.Count;
                break;
            case CiphertextWrite write when !_closing:
                _bytesOut += write.Data.Count;
                break;
        }
    }

    protected override void OnReceive(object message) => Handshaking(message);

    private void Handshaking(object message)
    {
        switch (message)
        {
            case HandshakeSucceeded succeeded:
                _handshakeSettled = true;
                _negotiated = _negotiatedRecorder?.Value;
                Timers.Cancel(HandshakeTimedOut.Instance);
                EchoMetrics.TlsHandshakesCompleted.Add(1);
                DebugLog?.Debug("TLS handshake with {0} completed ({1})", Remote, succeeded.Protocol);
                if (_drainRequested)
                    StartDraining();
                else
                    Become(Echoing);
                break;
            case HandshakeFailed failed:
                HandshakeFailedFor(failed.Reason, failed.Detail);
                // The alert SslStream wrote, if any, is ahead of the close.
                BeginClosing(Tcp.Close.Instance, CloseReason.HandshakeFailed);
                break;
            case HandshakeTimedOut:
                HandshakeFailedFor(EchoMetrics.HandshakeFailures.Timeout, $"not completed within {_kind.HandshakeTimeout}");
                BeginClosing(Tcp.Close.Instance, CloseReason.HandshakeFailed);
                break;
            case Tcp.PeerClosed:
                // SslStream's handshake then fails on the end of the stream, and is reported as a protocol failure.
                EndCiphertext(CloseReason.HandshakeFailed);
                break;
            case EchoConnection.Drain:
                // Finish the handshake (within its timeout), then drain as any other connection.
                _drainRequested = true;
                break;
            case EchoConnection.DrainTimeoutReached:
                _drainRequested = true;
                HandshakeFailedFor(EchoMetrics.HandshakeFailures.Timeout, "not completed by the drain timeout");
                BeginClosing(Tcp.Close.Instance, CloseReason.DrainTimeout);
                break;
            case IdleClock.Tick:
                break;
            default:
                Transport(message);
                break;
        }
    }

    private void Echoing(object message)
    {
        switch (message)
        {
            case Tcp.PeerClosed:
                // A FIN without close_notify: echo what came, then close_notify and FIN, as for a close_notify.
                DebugLog?.Debug("Peer {0} half-closed (TCP)", Remote);
                EndCiphertext(CloseReason.PeerClosed);
                break;
            case EchoConnection.Drain:
                StartDraining();
                break;
            case EchoConnection.DrainTimeoutReached:
                _drainRequested = true;
                OnDrainTimeout();
                break;
            case IdleClock.Tick:
                if (_idle.TickElapsed())
                    OnIdle();
                break;
            case EchoEnded ended:
                OnEchoEnded(ended);
                break;
            default:
                Transport(message);
                break;
        }
    }

    /// <summary>As <see cref="EchoConnection"/>'s drain: served until quiet (every echo byte acknowledged, nothing
    /// received for drain-quiet), then the ciphertext ends: close_notify, then FIN.</summary>
    private void Draining(object message)
    {
        switch (message)
        {
            case QuietCheck:
                CloseIfQuiet();
                break;
            case WriteAck:
                Transport(message);
                CloseIfQuiet();
                break;
            case EchoConnection.Drain:
                break;
            default:
                Echoing(message);
                break;
        }
    }

    /// <summary>The echo loop has ended, or the connection is going: waits for Akka.IO to confirm the close.</summary>
    private void Closing(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                // Reading goes on after a ConfirmedClose so that the client's FIN is seen; the bytes are discarded.
                _readRequested = false;
                EchoMetrics.BytesReceived.Add(received.Data.Count, _kind.ListenerTag);
                if (_closeCommand is Tcp.ConfirmedClose)
                    RequestRead();
                break;
            case WriteAck:
                _idle.Touch();
                _window.Acked();
                break;
            case CiphertextRead read:
                read.Done.TrySetResult(0);
                break;
            case CiphertextWrite write:
                write.Done.TrySetException(new IOException("the connection is closing"));
                break;
            case DrainLingerElapsed:
                DebugLog?.Debug("Connection from {0} did not answer our FIN within {1}; resetting", Remote, _settings.DrainLinger);
                _connection.Tell(Tcp.Abort.Instance);
                break;
            case IdleClock.Tick:
                if (_idle.TickElapsed())
                    _connection.Tell(Tcp.Abort.Instance);
                break;
            case Tcp.CommandFailed { Cmd: not Tcp.WriteCommand }:
                _connection.Tell(Tcp.Abort.Instance);
                break;
            case Tcp.ConnectionClosed or Terminated or Tcp.CommandFailed:
                HandleEnd(message);
                break;
            default:
                // Late reports of the session (HandshakeFailed after a timeout, EchoEnded), drain messages: nothing to do.
                break;
        }
    }

    private Tcp.CloseCommand? _closeCommand;

    /// <summary>What every state before <see cref="Closing"/> does alike: the ciphertext in and out, the end.</summary>
    private void Transport(object message)
    {
        switch (message)
        {
            case CiphertextRead read:
                _pendingRead = read;
                ServeRead();
                break;
            case Tcp.Received received:
                _readRequested = false;
                _idle.Touch();
                _lastArrival = DateTime.UtcNow;
                if (_endDelivered)
                    break;
                _unread = _unread.IsEmpty ? received.Data : _unread.Concat(received.Data);
                ServeRead();
                break;
            case CiphertextWrite write:
                _window.Written(write.Data.Count);
                _connection.Tell(Tcp.Write.Create(write.Data, WriteAck.Instance));
                _readsPaused = !MayReadMore();
                // Completed at once, so that SslStream and the loop let go of their buffers: the window holds the
                // next read instead (ServeRead), which is what keeps more ciphertext out.
                write.Done.TrySetResult();
                break;
            case WriteAck:
                _idle.Touch();
                _window.Acked();
                if (_readsPaused && MayReadMore())
                {
                    _readsPaused = false;
                    ServeRead();
                }
                break;
            case EchoEnded ended:
                OnEchoEnded(ended);
                break;
            case HandshakeSucceeded or HandshakeFailed or HandshakeTimedOut or QuietCheck or DrainLingerElapsed:
                break;
            default:
                HandleEnd(message);
                break;
        }
    }

    private void HandleEnd(object message)
    {
        switch (message)
        {
            case Tcp.ConnectionClosed closed:
                Ended(closed is Tcp.ErrorClosed or Tcp.Aborted ? CloseReason.Error : CloseReason.PeerClosed);
                break;
            case Tcp.CommandFailed { Cmd: Tcp.WriteCommand }:
                // As in EchoConnection: the connection is going away; its ErrorClosed or Aborted follows.
                break;
            case Tcp.CommandFailed failed:
                Log.Warning("TLS connection from {0}: {1} failed; aborting", Remote, failed.Cmd.GetType().Name);
                BeginClosing(Tcp.Abort.Instance, CloseReason.Aborted);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_connection):
                Ended(CloseReason.Error);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>The window's rule (<see cref="EchoWindow.NextRead"/>): whether SslStream may read more ciphertext.</summary>
    private bool MayReadMore()
    {
        switch (_window.NextRead())
        {
            case ReadGate.Open or ReadGate.Resumed:
                return true;
            case ReadGate.Paused:
                EchoMetrics.ReadsSuspended.Add(1);
                return false;
            default:
                return false;
        }
    }

    /// <summary>Answers SslStream's pending read, unless the window is closed: from what was received, with the end,
    /// or by asking Akka.IO for one more read (pull mode: the only way more ciphertext comes in).</summary>
    private void ServeRead()
    {
        if (_pendingRead is not { } read || _readsPaused)
            return;
        if (read.Buffer.IsEmpty)
        {
            // A zero-byte read: answered once there is something to read (or the end), which it leaves unread.
            if (_unread.IsEmpty && !_ciphertextEnded)
            {
                RequestRead();
                return;
            }
            _pendingRead = null;
            read.Done.TrySetResult(0);
        }
        else if (!_unread.IsEmpty)
        {
            var buffer = read.Buffer;
            var count = _unread.CopyTo(ref buffer, 0, Math.Min(buffer.Length, _unread.Count));
            _unread = count == _unread.Count ? ByteString.Empty : _unread.Slice(count);
            _pendingRead = null;
            read.Done.TrySetResult(count);
        }
        else if (_ciphertextEnded)
        {
            _endDelivered = true;
            _pendingRead = null;
            read.Done.TrySetResult(0);
        }
        else
        {
            RequestRead();
        }
    }

    private void RequestRead()
    {
        if (_readRequested)
            return;
        _readRequested = true;
        _connection.Tell(Tcp.ResumeReading.Instance);
    }

    /// <summary>No more ciphertext for SslStream past what was received: its echo loop finishes, sends our
    /// close_notify and ends; the connection then closes as <paramref name="finishAs"/>.</summary>
    private void EndCiphertext(CloseReason finishAs)
    {
        if (_ciphertextEnded)
            return;
        _ciphertextEnded = true;
        _finishAs = finishAs;
        Timers.Cancel(QuietCheck.Instance);
        ServeRead();
    }

    private void OnEchoEnded(EchoEnded ended)
    {
        if (ended.Fault is { } fault && !_ciphertextEnded)
        {
            // A TLS error mid-stream (a bad record, an alert, a truncated record): nothing more can be echoed.
            DebugLog?.Debug("TLS connection from {0} failed: {1}", Remote, OneLine.Of(fault.Message));
            BeginClosing(Tcp.Abort.Instance, CloseReason.Error);
            return;
        }
        if (!_ciphertextEnded)
            _finishAs = CloseReason.PeerClosed; // the client's close_notify
        if (_finishAs == CloseReason.PeerClosed)
        {
            // The client is done sending: our close_notify is written, a plain close ends both sides.
            BeginClosing(Tcp.Close.Instance, CloseReason.PeerClosed);
            return;
        }
        // The server ends the connection while the client may still send: half-close and read until its FIN, as
        // EchoConnection does (a close with unread input would be a reset), for drain-linger at most.
        BeginClosing(Tcp.ConfirmedClose.Instance, _finishAs);
        RequestRead();
        if (!_drainTimedOut)
            Timers.StartSingleTimer(DrainLingerElapsed.Instance, DrainLingerElapsed.Instance, _settings.DrainLinger);
    }

    private void StartDraining()
    {
        _drainRequested = true;
        Become(Draining);
        CloseIfQuiet();
    }

    private void CloseIfQuiet()
    {
        if (_ciphertextEnded || !_window.IsEmpty)
            return;
        var quietFor = DateTime.UtcNow - _lastArrival;
        if (quietFor >= _settings.DrainQuiet)
        {
            EndCiphertext(CloseReason.Drained);
            return;
        }
        if (!Timers.IsTimerActive(QuietCheck.Instance))
            Timers.StartSingleTimer(QuietCheck.Instance, QuietCheck.Instance, _settings.DrainQuiet - quietFor);
    }

    /// <summary>Read no more; echo what was received; close_notify and FIN; reset if still open drain-linger from now.</summary>
    private void OnDrainTimeout()
    {
        if (!_drainTimedOut)
        {
            _drainTimedOut = true;
            Timers.StartSingleTimer(DrainLingerElapsed.Instance, DrainLingerElapsed.Instance, _settings.DrainLinger);
        }
        EndCiphertext(CloseReason.DrainTimeout);
    }

    private void OnIdle()
    {
        if (_window.IsEmpty)
        {
            DebugLog?.Debug("TLS connection from {0} idle for {1}; closing", Remote, _settings.IdleTimeout);
            EndCiphertext(CloseReason.IdleTimeout);
        }
        else
        {
            DebugLog?.Debug("TLS connection from {0} read nothing for {1}; aborting", Remote, _settings.IdleTimeout);
            BeginClosing(Tcp.Abort.Instance, CloseReason.SlowReader);
        }
    }

    private void HandshakeFailedFor(string reason, string detail)
    {
        if (_handshakeSettled)
            return;
        _handshakeSettled = true;
        Timers.Cancel(HandshakeTimedOut.Instance);
        EchoMetrics.TlsHandshakesFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        DebugLog?.Debug("TLS handshake with {0} failed ({1}): {2}", Remote, reason, detail);
    }

    /// <summary>The one way into <see cref="Closing"/>, as in <see cref="EchoConnection"/>.</summary>
    private void BeginClosing(Tcp.CloseCommand command, CloseReason reason)
    {
        _connection.Tell(command);
        _closeCommand = command;
        _closeReason = reason;
        _closing = true;
        _idle.Touch();
        // SslStream's wait ends now: its read sees the end.
        _pendingRead?.Done.TrySetResult(0);
        _pendingRead = null;
        Become(Closing);
    }

    private void Ended(CloseReason reason)
    {
        if (!_closing)
            _closeReason = _handshakeSettled || !HandshakeStarted ? reason : CloseReason.HandshakeFailed;
        _connectionClosed = true;
        Context.Stop(Self);
    }
}
