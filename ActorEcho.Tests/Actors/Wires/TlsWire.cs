using System.Net.Security;
using System.Threading.Channels;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Tls;
using ActorEcho.Tls;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;

namespace ActorEcho.Tests.Actors.Wires;

/// <summary>
/// TLS: a real client SslStream behind the probe. What the client writes reaches the connection as Akka.IO's
/// <see cref="Tcp.Received"/> of ciphertext; the connection's ciphertext writes are fed to the client, which decrypts
/// the echo. The session's tasks run beside the actor, so its read requests may come before or after its writes:
/// a read request met while waiting for something else is counted, and taken by the next <see cref="ExpectReadAsync"/>.
/// </summary>
public sealed class TlsWire(TestKitBase kit) : ConnectionWire(kit)
{
    /// <summary>Far beyond any spec's virtual time, unless a spec advances to it.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a TLS spec waits for the session to have said nothing more: its tasks are real, not virtual.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(150);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ClientStream _wire = new();
    private SslStream? _client;
    private readonly Channel<byte[]> _plaintext = Channel.CreateUnbounded<byte[]>();
    private byte[] _plaintextLeft = [];
    private readonly Queue<Tcp.Event> _acks = new();
    /// <summary>Read requests seen while something else was expected.</summary>
    private int _reads;

    public override bool AlwaysKeepsOpen => true;

    public override async Task StartAsync(EchoSettings settings, bool keepOpen = false, Action<IActorRef>? beforeStart = null)
    {
        var kind = new TlsEchoKind(TestCertificates.ServerCredentials(), HandshakeTimeout);
        Handler = Kit.Sys.ActorOf(EchoConnection.Props(Connection.Ref, Remote, Local, settings, Unlimited, kind, expectProxyHeader: false));
        beforeStart?.Invoke(Handler);
        var register = await Connection.ExpectMsgAsync<Tcp.Register>();
        Xunit.Assert.True(register.KeepOpenOnPeerClosed);
        await HandshakeAsync();
        _ = ReadPlaintextAsync();
    }

    /// <summary>Pumps the handshake through the probe (acking the server's records) until the client has completed
    /// it, everything it wrote has been delivered, and the connection has asked for a read since: its first
    /// plaintext read, once echoing.</summary>
    public async Task HandshakeAsync(Action<IActorRef>? onSent = null)
    {
        _client = new SslStream(_wire, leaveInnerStreamOpen: true);
        var handshake = Task.Run(() => _client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }));
        var readAsked = false;
        var deadline = DateTime.UtcNow + Patience;
        while (!(handshake.IsCompleted && readAsked && _wire.OutboundIsEmpty))
        {
            Xunit.Assert.True(DateTime.UtcNow < deadline, "the handshake did not complete");
            if (Connection.HasMessages)
            {
                switch (await Connection.ExpectMsgAsync<object>())
                {
                    case Tcp.ResumeReading:
                        readAsked = true;
                        break;
                    case Tcp.Write write:
                        _wire.Feed(write.Data.ToArray());
                        Tell(write.Ack);
                        break;
                    case var other:
                        Xunit.Assert.Fail($"unexpected {other} during the handshake");
                        break;
                }
            }
            else if (readAsked && _wire.TakeOutbound() is { Length: > 0 } bytes)
            {
                Tell(new Tcp.Received(ByteString.FromBytes(bytes)));
                readAsked = false;
            }
            else
            {
                // The client's side runs on the thread pool: wait for it, bounded by the deadline.
                await Task.Delay(1);
            }
        }
        await handshake;
    }

    public override async Task SendAsync(byte[] data)
    {
        await _client!.WriteAsync(data);
        Tell(new Tcp.Received(ByteString.FromBytes(_wire.TakeOutbound())));
    }

    public override async Task<Tcp.Write> ExpectEchoAsync(byte[] expected)
    {
        var write = await NextAsync<Tcp.Write>();
        _wire.Feed(write.Data.ToArray());
        Xunit.Assert.Equal(expected, await ReadPlaintextAsync(expected.Length));
        _acks.Enqueue(write.Ack);
        return write;
    }

    public override void AckOldest() => Tell(_acks.Dequeue());

    public override async Task ExpectReadAsync()
    {
        if (_reads > 0)
        {
            _reads--;
            return;
        }
        await Connection.ExpectMsgAsync<Tcp.ResumeReading>();
    }

    public override async Task ExpectCloseAsync<T>()
    {
        if (typeof(T) != typeof(Tcp.Abort))
        {
            // Our close_notify first: the client reads the end of the stream.
            var notify = await NextAsync<Tcp.Write>();
            _wire.Feed(notify.Data.ToArray());
            Xunit.Assert.Empty(await ReadPlaintextAsync(0, untilEnd: true));
        }
        await NextAsync<T>();
    }

    public override async Task ExpectNothingMoreAsync()
    {
        await IdentifyAsync(message => message is Tcp.ResumeReading && ++_reads > 0);
        await Connection.ExpectNoMsgAsync(Settle);
        Xunit.Assert.Equal(0, _reads);
    }

    private async Task<T> NextAsync<T>()
    {
        while (true)
        {
            var message = await Connection.ExpectMsgAsync<object>();
            if (message is Tcp.ResumeReading && typeof(T) != typeof(Tcp.ResumeReading))
            {
                _reads++;
                continue;
            }
            return Xunit.Assert.IsType<T>(message);
        }
    }

    /// <summary>The client's plaintext, read as it decrypts it; an empty chunk is the end (close_notify).</summary>
    private async Task ReadPlaintextAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await _client!.ReadAsync(buffer);
                await _plaintext.Writer.WriteAsync(buffer.AsSpan(0, read).ToArray());
                if (read == 0)
                    return;
            }
        }
        catch (Exception e)
        {
            _plaintext.Writer.TryComplete(e);
        }
    }

    private async Task<byte[]> ReadPlaintextAsync(int count, bool untilEnd = false)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var result = new List<byte>(_plaintextLeft);
        _plaintextLeft = [];
        while (result.Count < count || untilEnd)
        {
            var chunk = await _plaintext.Reader.ReadAsync(timeout.Token);
            if (chunk.Length == 0)
                break;
            result.AddRange(chunk);
        }
        _plaintextLeft = result.Skip(count).ToArray();
        return result.Take(count).ToArray();
    }

    /// <summary>The client's side of the wire: its writes are kept until the spec delivers them, its reads are
    /// what the spec fed from the connection's writes.</summary>
    private sealed class ClientStream : Stream
    {
        private readonly object _gate = new();
        private readonly MemoryStream _outbound = new();
        private readonly Channel<byte[]> _inbound = Channel.CreateUnbounded<byte[]>();
        private byte[] _left = [];
        private int _leftAt;

        public bool OutboundIsEmpty
        {
            get { lock (_gate) return _outbound.Length == 0; }
        }

        public byte[] TakeOutbound()
        {
            lock (_gate)
            {
                var bytes = _outbound.ToArray();
                _outbound.SetLength(0);
                return bytes;
            }
        }

        public void Feed(byte[] ciphertext) => _inbound.Writer.TryWrite(ciphertext);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_leftAt == _left.Length)
            {
                _left = await _inbound.Reader.ReadAsync(cancellationToken);
                _leftAt = 0;
            }
            var count = Math.Min(buffer.Length, _left.Length - _leftAt);
            _left.AsMemory(_leftAt, count).CopyTo(buffer);
            _leftAt += count;
            return count;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_gate)
                _outbound.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().Wait();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
