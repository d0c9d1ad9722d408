using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace ActorEcho.Tls;

/// <summary>
/// The stream under one connection's <see cref="System.Net.Security.SslStream"/>: it owns nothing and touches no
/// actor state. A read asks the <see cref="TlsEchoConnection"/> for ciphertext (<see cref="CiphertextRead"/>), which
/// the actor answers from Akka.IO's <see cref="Tcp.Received"/> (asking Akka.IO for one read only then: pull mode)
/// while its window allows (see there); a write hands a copy of the ciphertext to the actor
/// (<see cref="CiphertextWrite"/>), which sends it as a <see cref="Tcp.Write"/> with an ack and completes it. SslStream does
/// one read and one write at a time, so neither side needs a queue.
/// <para>The tasks' continuations (SslStream's decrypt, the echo loop, encrypt) run on the thread pool, not inline on
/// the actor's thread: tried inline, the TLS stream measured no faster (0.77x against 0.86x of a raw SslStream echo in
/// one run, docs/tls.md), and the thread pool keeps the crypto off the dispatcher the connection actors share.</para>
/// </summary>
internal sealed class CiphertextStream(IActorRef connectionActor) : Stream
{
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;

    /// <summary>A read of an empty buffer (SslStream passes on the echo loop's zero-byte read) completes when
    /// ciphertext is there to read, without taking any.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Continuations run on the thread pool, never on the actor's thread that completes them (see the class summary).
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        connectionActor.Tell(new CiphertextRead(buffer, done));
        return new ValueTask<int>(done.Task);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            return ValueTask.CompletedTask;
        // A copy: SslStream reuses its buffer once the write completes, which may be before Akka.IO has sent it.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connectionActor.Tell(new CiphertextWrite(ByteString.FromBytes(buffer.ToArray()), done));
        return new ValueTask(done.Task);
    }

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

/// <summary>SslStream wants ciphertext into <paramref name="Buffer"/>: answered with the count (0: end of stream)
/// through <paramref name="Done"/>.</summary>
internal sealed record CiphertextRead(Memory<byte> Buffer, TaskCompletionSource<int> Done) : IDeadLetterSuppression;

/// <summary>SslStream's ciphertext to send; <paramref name="Done"/> completes once it is handed to Akka.IO.</summary>
internal sealed record CiphertextWrite(ByteString Data, TaskCompletionSource Done) : IDeadLetterSuppression;
