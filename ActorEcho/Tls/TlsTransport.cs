using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Threading.Channels;
using ActorEcho.Diagnostics;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace ActorEcho.Tls;

/// <summary>
/// TLS beneath an <see cref="EchoConnection"/>: .NET's SslStream over the connection's ciphertext, turned into the
/// events and commands of plain TCP (<see cref="EchoTransport"/>), as Kestrel's TLS is middleware over a connection's
/// duplex pipe. The connection echoes plaintext; it never sees a record.
/// </summary>
/// <remarks>
/// <para>The TLS work runs in one session task per connection, beside the actor (<see cref="RunAsync"/>): the
/// handshake, then a read loop and a write loop. It reaches the actor only by messages (<see cref="CiphertextStream"/>,
/// TlsSessionMessages.cs), handled here on the actor's thread; this side answers only by completing the session's
/// ciphertext reads and writes and by feeding its two loops.</para>
/// <list type="bullet">
/// <item>Reads, pull mode as plain: each <see cref="ResumeReading"/> lets the read loop do one plaintext read, whose
/// bytes come back as a <see cref="Tcp.Received"/>; its end (the client's close_notify, or its FIN) as
/// <see cref="Tcp.PeerClosed"/>. SslStream asks for ciphertext only during such a read (or the handshake), and only
/// then does this ask Akka.IO for one read. A connection whose window is closed asks nothing, so nothing is read
/// from its client, and its read loop waits holding no buffer (it waits for ciphertext with a zero-byte read, then
/// rents one record's buffer).</item>
/// <item>Writes: each <see cref="Write"/> goes to the write loop, which encrypts it; every ciphertext write is
/// handed to Akka.IO at once, so the echo waits in Akka.IO's queue, bounded by the connection's window. An echo's
/// ciphertext write carries the connection's own <see cref="EchoProtocol.WriteAck"/> (<see cref="EchoWriteMark"/>),
/// which Akka.IO returns to the connection in write order, as on plain TCP; other writes carry an ack nobody waits
/// for.</item>
/// <item>Close: close_notify after the queued echo, then the TCP command; an abort at once.</item>
/// </list>
/// </remarks>
public sealed class TlsTransport : EchoTransport
{
    /// <summary>One TLS record's plaintext at most: one read of SslStream fills at most this.</summary>
    public const int PlaintextBufferSize = 16 * 1024;

    private readonly IActorContext _context;
    private readonly TlsEchoKind _kind;

    private Phase _phase = Phase.BeforeHandshake;
    private CiphertextStream? _stream;
    /// <summary>The read loop's permits: one per <see cref="ResumeReading"/> (at most one is out).</summary>
    private readonly Channel<bool> _readPermits = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    /// <summary>The write loop's plaintext, in order; null: send close_notify and end.</summary>
    private readonly Channel<ByteString?> _writes = Channel.CreateUnbounded<ByteString?>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>SslStream's read waiting for ciphertext; at most one.</summary>
    private CiphertextRead? _pendingRead;
    /// <summary>Ciphertext received and not yet read by SslStream (a frame larger than its read).</summary>
    private ByteString _unread = ByteString.Empty;
    /// <summary>A ResumeReading was sent to Akka.IO and its Received has not come yet.</summary>
    private bool _rawReadRequested;
    /// <summary>The client's FIN came: once <see cref="_unread"/> is read, SslStream reads the end.</summary>
    private bool _ciphertextEnded;

    /// <summary>The TCP command to send once our close_notify is out.</summary>
    private Tcp.CloseCommand? _closeAfterNotify;
    /// <summary>The TCP close command went to Akka.IO: no more writes.</summary>
    private Tcp.CloseCommand? _closeSent;
    /// <summary>The handshake completed while the connection waited for it.</summary>
    private bool _opened;
    private NegotiatedTls? _negotiated;

    private enum Phase
    {
        /// <summary>Before <see cref="Open"/> (a PROXY header first): reads and data pass through as they came.</summary>
        BeforeHandshake,

        /// <summary>The session runs: ciphertext in and out through SslStream.</summary>
        Session,

        /// <summary>After <see cref="Close"/>: ciphertext received is discarded.</summary>
        Closing,
    }

    public TlsTransport(IActorRef connection, IActorContext context, TlsEchoKind kind) : base(connection)
    {
        _context = context;
        _kind = kind;
    }

    public override TimeSpan? HandshakeTimeout => _kind.HandshakeTimeout;

    /// <summary>On the client's FIN, what it sent is echoed, then our close_notify, then FIN.</summary>
    public override bool KeepOpenOnPeerClosed => true;

    public override NegotiatedTls? AccessLogFields => _negotiated ?? NegotiatedTls.None;

    private ILoggingAdapter? DebugLog =>
        _context.System.EventStream.LogLevel <= LogLevel.DebugLevel ? _context.GetLogger() : null;

    /// <summary>Starts the session task, whose handshake reads <paramref name="received"/> (after a PROXY header)
    /// first.</summary>
    public override void Open(ByteString received, bool peerClosed)
    {
        _phase = Phase.Session;
        _unread = received;
        _ciphertextEnded = peerClosed;
        _stream = new CiphertextStream(_context.Self);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        var rejection = new CertificateRejection();
        var options = _kind.Credentials.OptionsFor(rejection);
        _ = Task.Run(() => RunAsync(ssl, options, rejection));
    }

    public override object? Translate(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                _rawReadRequested = false;
                if (_phase == Phase.BeforeHandshake)
                    return received;
                OnCiphertext(received.Data);
                return null;
            case Tcp.PeerClosed when _phase == Phase.Session:
                _ciphertextEnded = true;
                ServeRead();
                return null;
            case CiphertextRead read when _phase == Phase.Closing:
                // Nothing more is read for SslStream once the connection closes: it reads the end.
                read.Done.TrySetResult(0);
                return null;
            case CiphertextRead read:
                _pendingRead = read;
                ServeRead();
                return null;
            case CiphertextWrite write:
                OnCiphertextWrite(write);
                return null;
            case CiphertextAck:
                return null;
            case Decrypted decrypted:
                return decrypted.Data.IsEmpty ? Tcp.PeerClosed.Instance : new Tcp.Received(decrypted.Data);
            case DecryptFailed failed:
                return OnDecryptFailed(failed.Fault);
            case HandshakeSucceeded succeeded:
                if (_phase != Phase.Session)
                    return null; // the connection gave up on it (timed out) and is closing
                _opened = true;
                _negotiated = succeeded.Negotiated;
                return new EchoProtocol.TransportOpened(NegotiatedTls.ProtocolName(succeeded.Protocol));
            case HandshakeFailed failed:
                return _phase == Phase.Session ? new EchoProtocol.TransportOpenFailed(failed.Reason, failed.Detail) : null;
            case CloseNotifySent:
                if (_closeSent is null)
                    SendClose(_closeAfterNotify!);
                return null;
            default:
                return message;
        }
    }

    public override void Write(ByteString data) => _writes.Writer.TryWrite(data);

    public override void ResumeReading()
    {
        switch (_phase)
        {
            case Phase.BeforeHandshake:
                RequestRawRead();
                break;
            case Phase.Session:
                _readPermits.Writer.TryWrite(true);
                break;
        }
    }

    /// <summary>After the handshake, every command but an abort waits for the echo queued before it and our
    /// close_notify (<see cref="CloseNotifySent"/>); before it, or once a close is out, it goes at once.</summary>
    public override void Close(Tcp.CloseCommand command, bool readPending)
    {
        var opened = _phase == Phase.Session && _opened;
        _phase = Phase.Closing;
        _readPermits.Writer.TryComplete();
        // SslStream's read ends now: it reads the end.
        _pendingRead?.Done.TrySetResult(0);
        _pendingRead = null;
        if (command is Tcp.Abort || !opened || _closeAfterNotify is not null || _closeSent is not null)
        {
            _writes.Writer.TryComplete();
            SendClose(command);
            return;
        }
        _closeAfterNotify = command;
        _writes.Writer.TryWrite(null);
        _writes.Writer.TryComplete();
    }

    public override void Stopped()
    {
        _readPermits.Writer.TryComplete();
        _writes.Writer.TryComplete();
        _stream?.Detach();
        _pendingRead?.Done.TrySetException(new IOException("the connection is closed"));
        _pendingRead = null;
    }

    private void OnCiphertext(ByteString data)
    {
        if (_phase == Phase.Closing)
        {
            // Read until the client's FIN after a ConfirmedClose; the bytes cannot be echoed any more.
            if (_closeSent is Tcp.ConfirmedClose)
                RequestRawRead();
            return;
        }
        if (_ciphertextEnded)
            return;
        _unread = _unread.IsEmpty ? data : _unread.Concat(data);
        ServeRead();
    }

    private void OnCiphertextWrite(CiphertextWrite write)
    {
        if (_closeSent is not null)
        {
            write.Done.TrySetException(new IOException("the connection is closing"));
            return;
        }
        Connection.Tell(Tcp.Write.Create(write.Data, write.CarriesEchoAck ? EchoProtocol.WriteAck.Instance : CiphertextAck.Instance));
        // Completed at once, so that SslStream lets go of its buffer: the connection's window bounds what waits here.
        write.Done.TrySetResult();
    }

    /// <summary>A TLS error mid-stream (a bad record, an alert, a truncated record) ends the echo: abort, and the
    /// connection hears Akka.IO's <see cref="Tcp.Aborted"/>. After the client's FIN, it is that FIN's end.</summary>
    private object? OnDecryptFailed(Exception fault)
    {
        if (_ciphertextEnded)
            return Tcp.PeerClosed.Instance;
        if (_phase != Phase.Session)
            return null;
        DebugLog?.Debug("TLS record failed ({0}); aborting", OneLine.Of(fault.Message));
        Close(Tcp.Abort.Instance, readPending: false);
        return null;
    }

    /// <summary>Answers SslStream's pending read: from what was received, with the end, or by asking Akka.IO for one
    /// more read (pull mode: the only way more ciphertext comes in).</summary>
    private void ServeRead()
    {
        if (_pendingRead is not { } read)
            return;
        if (read.Buffer.IsEmpty)
        {
            // A zero-byte read: answered once there is something to read (or the end), which it leaves unread.
            if (_unread.IsEmpty && !_ciphertextEnded)
            {
                RequestRawRead();
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
            _pendingRead = null;
            read.Done.TrySetResult(0);
        }
        else
        {
            RequestRawRead();
        }
    }

    private void RequestRawRead()
    {
        if (_rawReadRequested)
            return;
        _rawReadRequested = true;
        Connection.Tell(Tcp.ResumeReading.Instance);
    }

    private void SendClose(Tcp.CloseCommand command)
    {
        Connection.Tell(command);
        _closeSent = command;
        if (command is Tcp.ConfirmedClose)
            RequestRawRead();
    }

    /// <summary>The session: the handshake, then the read loop beside the write loop; SslStream is disposed once
    /// both have ended.</summary>
    private async Task RunAsync(SslStream ssl, SslServerAuthenticationOptions options, CertificateRejection rejection)
    {
        var self = _context.Self;
        try
        {
            try
            {
                await ssl.AuthenticateAsServerAsync(options).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var reason = rejection.Reason is not null ? EchoMetrics.HandshakeFailures.Certificate : EchoMetrics.HandshakeFailures.Protocol;
                self.Tell(new HandshakeFailed(reason, rejection.Reason ?? OneLine.Of(e.InnerException?.Message ?? e.Message)));
                return;
            }
            // Always: the live view shows it (GET /connections), not only the access log.
            self.Tell(new HandshakeSucceeded(ssl.SslProtocol, NegotiatedTls.Of(ssl)));
            var writing = WriteLoopAsync(ssl, _writes.Reader, self);
            await ReadLoopAsync(ssl, _readPermits.Reader, self).ConfigureAwait(false);
            await writing.ConfigureAwait(false);
        }
        finally
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One plaintext read per permit, until the end or a fault. The buffer is rented only once ciphertext
    /// has arrived (a zero-byte read waits for it), so a waiting connection holds none, as SslStream itself then holds
    /// no buffer either.</summary>
    private static async Task ReadLoopAsync(SslStream ssl, ChannelReader<bool> permits, IActorRef self)
    {
        while (await permits.WaitToReadAsync().ConfigureAwait(false))
        {
            permits.TryRead(out _);
            ByteString data;
            try
            {
                await ssl.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                var buffer = ArrayPool<byte>.Shared.Rent(PlaintextBufferSize);
                try
                {
                    var read = await ssl.ReadAsync(buffer.AsMemory(0, PlaintextBufferSize)).ConfigureAwait(false);
                    data = read == 0 ? ByteString.Empty : ByteString.FromBytes(buffer.AsSpan(0, read).ToArray());
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch (Exception e)
            {
                self.Tell(new DecryptFailed(e));
                return;
            }
            self.Tell(new Decrypted(data));
            if (data.IsEmpty)
                return;
        }
    }

    /// <summary>Encrypts each plaintext write in order, its first ciphertext write carrying the echo's ack; at the
    /// null mark, sends our close_notify and ends.</summary>
    private static async Task WriteLoopAsync(SslStream ssl, ChannelReader<ByteString?> writes, IActorRef self)
    {
        // This flow's own: the read loop's and the handshake's writes never see it.
        var mark = new EchoWriteMark();
        CiphertextStream.CurrentEchoWrite.Value = mark;
        while (await writes.WaitToReadAsync().ConfigureAwait(false))
        {
            while (writes.TryRead(out var data))
            {
                if (data is null)
                {
                    await SendCloseNotifyAsync(ssl).ConfigureAwait(false);
                    self.Tell(CloseNotifySent.Instance);
                    return;
                }
                mark.Pending = true;
                try
                {
                    await data.WriteToAsync(ssl).ConfigureAwait(false);
                }
                catch (Exception e) when (IsConnectionGone(e))
                {
                    // Only once the connection is closing or its actor gone: nothing more can be sent.
                    return;
                }
                mark.Pending = false;
            }
        }
    }

    private static async Task SendCloseNotifyAsync(SslStream ssl)
    {
        try
        {
            await ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionGone(e))
        {
            // The echo itself is complete, and the FIN that follows still ends the stream.
        }
    }

    /// <summary>What SslStream throws once its connection is gone or closing: our own stream's refusal, OpenSSL's
    /// error mid-message, or SslStream's state after a failed operation.</summary>
    private static bool IsConnectionGone(Exception e) =>
        e is IOException or CryptographicException or InvalidOperationException or ObjectDisposedException;
}
