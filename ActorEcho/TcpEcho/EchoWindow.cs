namespace ActorEcho.TcpEcho;

/// <summary>
/// The echo bytes of one connection that were handed to Akka.IO but not yet acknowledged, and the watermark
/// decision that follows from them: whether the connection may ask its client for more. A plain class, so that
/// the accounting is tested without actors; <see cref="EchoConnection"/> owns one and is its only user.
/// </summary>
/// <remarks>
/// Akka.IO acknowledges writes in the order they were made, so the lengths wait in a queue and one shared ack
/// event serves every write. Hysteresis: reading pauses when the un-acknowledged bytes reach the high watermark
/// and resumes only once acknowledgements bring them down to the low one, so that a slow reader costs one pause
/// and one resume per window rather than one per frame.
/// The bytes also count against the server-wide <see cref="EchoBudget"/>, whose rule is stated there: a window
/// that holds something stays closed while the budget is exhausted.
/// </remarks>
public sealed class EchoWindow
{
    private readonly Queue<int> _writes = new();
    private int _highWatermark;
    private int _lowWatermark;
    private readonly EchoBudget _budget;

    public EchoWindow(int highWatermark, int lowWatermark, EchoBudget budget)
    {
        ChangeWatermarks(highWatermark, lowWatermark);
        _budget = budget;
    }

    /// <summary>New watermarks (a reload): they decide the next read, on the bytes already held; a pause in force
    /// ends once acknowledgements bring those under the new low watermark.</summary>
    public void ChangeWatermarks(int highWatermark, int lowWatermark)
    {
        if (lowWatermark < 0 || lowWatermark >= highWatermark)
            throw new ArgumentOutOfRangeException(nameof(lowWatermark), lowWatermark,
                $"the low watermark must be at least 0 and below the high watermark ({highWatermark})");
        _highWatermark = highWatermark;
        _lowWatermark = lowWatermark;
    }

    /// <summary>Bytes written and not yet acknowledged.</summary>
    public long UnackedBytes { get; private set; }

    /// <summary>Every write was acknowledged.</summary>
    public bool IsEmpty => UnackedBytes == 0;

    /// <summary>Reading is paused until acknowledgements bring <see cref="UnackedBytes"/> to the low watermark.</summary>
    public bool IsPaused { get; private set; }

    /// <summary>The window is open but reading waits for the <see cref="EchoBudget"/>: until every write is
    /// acknowledged, or the server holds less than its limit.</summary>
    public bool IsPausedByBudget { get; private set; }

    /// <summary>A write of <paramref name="length"/> bytes (more than zero) was handed to Akka.IO.</summary>
    public void Written(int length)
    {
        _writes.Enqueue(length);
        UnackedBytes += length;
        _budget.Take(length);
    }

    /// <summary>Akka.IO acknowledged the oldest write; returns its length.</summary>
    /// <exception cref="InvalidOperationException">no write is waiting for an acknowledgement.</exception>
    public int Acked()
    {
        var length = _writes.Dequeue();
        UnackedBytes -= length;
        _budget.Give(length);
        return length;
    }

    /// <summary>The connection ended: what it still held goes back to the budget (Akka.IO drops the writes).</summary>
    public void Release()
    {
        _budget.Give(UnackedBytes);
        UnackedBytes = 0;
        _writes.Clear();
        if (IsPausedByBudget)
        {
            IsPausedByBudget = false;
            _budget.Resumed();
        }
    }

    /// <summary>Whether the connection may read again now, moving between open, paused by its watermarks and paused
    /// by the budget as their rules say.</summary>
    public ReadGate NextRead()
    {
        var resumed = false;
        if (IsPaused)
        {
            if (UnackedBytes > _lowWatermark)
                return ReadGate.StillPaused;
            IsPaused = false;
            resumed = true;
        }
        else if (UnackedBytes >= _highWatermark)
        {
            IsPaused = true;
            return ReadGate.Paused;
        }

        if (WaitsForBudget)
        {
            if (IsPausedByBudget)
                return ReadGate.StillPaused;
            IsPausedByBudget = true;
            _budget.Paused();
            return ReadGate.PausedByBudget;
        }
        if (IsPausedByBudget)
        {
            IsPausedByBudget = false;
            _budget.Resumed();
            return ReadGate.Resumed;
        }
        return resumed ? ReadGate.Resumed : ReadGate.Open;
    }

    /// <summary>The <see cref="EchoBudget"/>'s rule: a window that holds nothing may always read.</summary>
    private bool WaitsForBudget => UnackedBytes > 0 && _budget.IsExhausted;
}
