using ActorEcho.Diagnostics;

namespace ActorEcho.TcpEcho;

/// <summary>
/// The echo bytes held by the whole server: read from clients and handed to Akka.IO, not yet acknowledged (not yet
/// in the kernel's send buffer). <c>actor-echo.max-buffered-bytes</c> bounds them. Every connection's
/// <see cref="EchoWindow"/> draws on it; the connections run on several threads, so the counts are atomic.
/// </summary>
/// <remarks>
/// The rule (<see cref="EchoWindow.NextRead"/>): a connection that holds nothing may always read one frame; one that
/// holds something may read more only while the server holds less than the limit. A client that reads its echo
/// gets its acknowledgements, so its connection soon holds nothing again and reads: a flood of clients that
/// stopped reading cannot starve it, it only slows it to one frame per round trip. The bytes held are thus at most
/// the limit plus one frame per connection, and the flood's clients are held back by TCP flow control: nothing is
/// dropped or aborted.
/// </remarks>
public sealed class EchoBudget
{
    private long _heldBytes;
    private int _pausedConnections;
    private long _limitBytes;

    public EchoBudget(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        _limitBytes = limitBytes;
    }

    /// <summary>No limit: for actors tested on their own.</summary>
    public static EchoBudget Unlimited() => new(long.MaxValue);

    /// <summary>Changeable while connections use it (a reload of <c>max-buffered-bytes</c>): a lower limit holds back
    /// the connections that hold some at their next read, a higher one lets them read at their next ack.</summary>
    public long LimitBytes
    {
        get => Volatile.Read(ref _limitBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Volatile.Write(ref _limitBytes, value);
        }
    }

    /// <summary>Echo bytes held now, server-wide.</summary>
    public long HeldBytes => Volatile.Read(ref _heldBytes);

    /// <summary>Connections whose own window is open but that wait for the budget.</summary>
    public int PausedConnections => Volatile.Read(ref _pausedConnections);

    /// <summary>The server holds its limit or more: connections that hold something read no more.</summary>
    public bool IsExhausted => HeldBytes >= LimitBytes;

    internal void Take(int bytes)
    {
        Interlocked.Add(ref _heldBytes, bytes);
        EchoMetrics.BytesBuffered.Add(bytes);
    }

    internal void Give(long bytes)
    {
        Interlocked.Add(ref _heldBytes, -bytes);
        EchoMetrics.BytesBuffered.Add(-bytes);
    }

    internal void Paused()
    {
        Interlocked.Increment(ref _pausedConnections);
        EchoMetrics.ConnectionsPausedByBudget.Add(1);
    }

    internal void Resumed()
    {
        Interlocked.Decrement(ref _pausedConnections);
        EchoMetrics.ConnectionsPausedByBudget.Add(-1);
    }
}
