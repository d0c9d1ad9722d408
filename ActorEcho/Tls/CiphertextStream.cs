using Akka.Actor;
using Akka.IO;

namespace ActorEcho.Tls;

/// <summary>
/// The stream under one connection's <see cref="System.Net.Security.SslStream"/>: it owns nothing and touches no
/// actor state. A read asks the connection actor's <see cref="TlsTransport"/> for ciphertext
/// (<see cref="CiphertextRead"/>), which answers it from Akka.IO's <see cref="Tcp.Received"/> (asking Akka.IO for one
/// read only then: pull mode); a write hands a copy of the ciphertext over (<see cref="CiphertextWrite"/>), which the
/// transport sends as a <see cref="Tcp.Write"/> with an ack and completes. SslStream does at most one read and one
/// write at a time, so neither side needs a queue.
/// <para>The tasks' continuations (SslStream's decrypt and encrypt) run on the thread pool, not inline on the actor's
/// thread that completes them: tried inline, the TLS stream measured no faster (docs/tls.md), and the thread pool keeps
/// the crypto off the dispatcher the connection actors share.</para>
/// </summary>
internal sealed class CiphertextStream(IActorRef connectionActor) : Stream
{
    /// <summary>Set by the session's write loop for its own flow (an AsyncLocal does not leak into the read loop's or
    /// the handshake's writes): the first ciphertext write of each echo carries the connection's ack.</summary>
    public static readonly AsyncLocal<EchoWriteMark?> CurrentEchoWrite = new();

    private int _detached;
    /// <summary>The latest read and write handed over: failed by <see cref="Detach"/> if the actor never answers.</summary>
    private TaskCompletionSource<int>? _lastRead;
    private TaskCompletionSource? _lastWrite;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;

    /// <summary>A read of an empty buffer (SslStream passes on a zero-byte read) completes when ciphertext is there to
    /// read, without taking any.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _lastRead, done);
        connectionActor.Tell(new CiphertextRead(buffer, done));
        if (Volatile.Read(ref _detached) != 0)
            done.TrySetException(Gone());
        return new ValueTask<int>(done.Task);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            return ValueTask.CompletedTask;
        // A copy: SslStream reuses its buffer once the write completes, which may be before Akka.IO has sent it.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _lastWrite, done);
        var mark = CurrentEchoWrite.Value;
        var carriesEchoAck = mark is { Pending: true };
        if (carriesEchoAck)
            mark!.Pending = false;
        connectionActor.Tell(new CiphertextWrite(ByteString.FromBytes(buffer.ToArray()), done, carriesEchoAck));
        if (Volatile.Read(ref _detached) != 0)
            done.TrySetException(Gone());
        return new ValueTask(done.Task);
    }

    /// <summary>The actor has stopped: a read or write it will never answer fails, so that the session ends. Either
    /// this sees the latest one, or that one sees the flag (both sides exchange before they read).</summary>
    public void Detach()
    {
        Interlocked.Exchange(ref _detached, 1);
        Volatile.Read(ref _lastRead)?.TrySetException(Gone());
        Volatile.Read(ref _lastWrite)?.TrySetException(Gone());
    }

    private static IOException Gone() => new("the connection is closed");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Every write is handed to Akka.IO at once: nothing to flush.
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }

    // SslStream is only ever used asynchronously here.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>The write loop's mark: <see cref="Pending"/> from the start of an echo's encryption until its first
/// ciphertext write takes it. An echo is one plaintext read (at most 16 KiB), so one record and one write; should
/// SslStream ever split it, the echo's ack comes with its first write, at most one record early.</summary>
internal sealed class EchoWriteMark
{
    public bool Pending;
}
