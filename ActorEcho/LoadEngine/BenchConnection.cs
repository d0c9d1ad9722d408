using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ActorEcho.LoadEngine;

/// <summary>
/// One load connection: owns its socket and receive buffer (allocated once), checks every received byte against
/// <see cref="EchoPattern"/>, and counts what it did. Counters have one writer each and are read by the progress
/// line, hence the volatile-style reads and writes.
/// </summary>
public abstract class BenchConnection(int id, Socket socket, BenchClock clock, LatencyRecorder latency)
{
    /// <summary>Receive buffer size cap; also the most checked in one compare.</summary>
    protected const int MaxReceiveBuffer = 64 * 1024;

    private long _messages, _measuredMessages, _measuredBytesSent, _measuredBytesReceived;

    public int Id { get; } = id;
    protected Socket Socket { get; } = socket;
    protected BenchClock Clock { get; } = clock;
    protected LatencyRecorder Latency { get; } = latency;
    protected EchoPattern Pattern { get; } = EchoPattern.Shared;
    protected long PatternStart { get; } = EchoPattern.Start(id);

    /// <summary>Bytes checked so far (the stream offset of the next byte expected).</summary>
    protected long ReceivedOffset { get; set; }

    /// <summary>Messages echoed in full, warmup included (for the live progress line).</summary>
    public long Messages => Volatile.Read(ref _messages);
    public long MeasuredMessages => Volatile.Read(ref _measuredMessages);
    public long MeasuredBytesSent => Volatile.Read(ref _measuredBytesSent);
    public long MeasuredBytesReceived => Volatile.Read(ref _measuredBytesReceived);

    /// <summary>Runs until the clock says stop, then closes cleanly (half-close, read to EOF).</summary>
    public abstract Task RunAsync();

    /// <summary>Closes the socket at once, failing pending operations (used when the run is aborted).</summary>
    public void Abort() => Socket.Dispose();

    protected static byte[] NewReceiveBuffer(int messageSize) => new byte[Math.Min(Math.Max(messageSize, 4096), MaxReceiveBuffer)];

    protected void CountMessage(long startTimestamp, long endTimestamp)
    {
        Volatile.Write(ref _messages, _messages + 1);
        if (!Clock.IsMeasured(endTimestamp))
            return;
        Volatile.Write(ref _measuredMessages, _measuredMessages + 1);
        Latency.Record(startTimestamp, endTimestamp);
    }

    protected void CountSent(int bytes, long timestamp)
    {
        if (Clock.IsMeasured(timestamp))
            Volatile.Write(ref _measuredBytesSent, _measuredBytesSent + bytes);
    }

    protected void CountReceived(int bytes, long timestamp)
    {
        if (Clock.IsMeasured(timestamp))
            Volatile.Write(ref _measuredBytesReceived, _measuredBytesReceived + bytes);
    }

    /// <summary>Checks <paramref name="received"/> against what was sent at <see cref="ReceivedOffset"/>
    /// and moves the offset on.</summary>
    protected void Verify(ReadOnlySpan<byte> received)
    {
        var bad = Pattern.FirstMismatch(PatternStart, ReceivedOffset, received);
        if (bad >= 0)
        {
            var offset = ReceivedOffset + bad;
            throw EchoFailureException.Mismatch(
                $"echo mismatch on connection {Id} at byte {offset}: sent 0x{Pattern.Expected(PatternStart, offset):x2}, received 0x{received[bad]:x2}");
        }
        ReceivedOffset += received.Length;
    }

    /// <summary>Sends <paramref name="length"/> pattern bytes from stream offset <paramref name="offset"/>.
    /// The common case (one slice, sent at once) completes without allocating.</summary>
    protected ValueTask SendAsync(long offset, int length)
    {
        if (length <= EchoPattern.Period)
        {
            var send = Socket.SendAsync(Pattern.Slice(PatternStart, offset, length), SocketFlags.None);
            if (send.IsCompletedSuccessfully && send.Result == length)
                return ValueTask.CompletedTask;
            return FinishSendAsync(send, offset, length);
        }
        return SendInPiecesAsync(offset, length);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FinishSendAsync(ValueTask<int> pending, long offset, int length)
    {
        var sent = await pending.ConfigureAwait(false);
        if (sent < length)
            await SendInPiecesAsync(offset + sent, length - sent).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendInPiecesAsync(long offset, int length)
    {
        while (length > 0)
        {
            var sent = await Socket.SendAsync(Pattern.Slice(PatternStart, offset, Math.Min(length, EchoPattern.Period)), SocketFlags.None)
                .ConfigureAwait(false);
            offset += sent;
            length -= sent;
        }
    }

    /// <summary>After the last message: half-close and expect EOF with nothing more, so the server sees a
    /// clean end of stream and any extra bytes it sends are caught.</summary>
    protected async Task CloseAsync(byte[] buffer)
    {
        Socket.Shutdown(SocketShutdown.Send);
        var extra = await Socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
        if (extra > 0)
            throw EchoFailureException.Mismatch(
                $"echo mismatch on connection {Id}: the server sent {extra} byte(s) more than it was sent");
        Socket.Dispose();
    }

    protected EchoFailureException ClosedEarly(long expected) => EchoFailureException.Network(
        $"connection {Id} closed by the server with {expected - ReceivedOffset} byte(s) of echo missing");
}
