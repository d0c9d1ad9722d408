namespace ActorEcho.Actors;

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
/// </remarks>
public sealed class EchoWindow
{
    private readonly Queue<int> _writes = new();
    private readonly int _highWatermark;
    private readonly int _lowWatermark;

    public EchoWindow(int highWatermark, int lowWatermark)
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

    /// <summary>A write of <paramref name="length"/> bytes (more than zero) was handed to Akka.IO.</summary>
    public void Written(int length)
    {
        _writes.Enqueue(length);
        UnackedBytes += length;
    }

    /// <summary>Akka.IO acknowledged the oldest write; returns its length.</summary>
    /// <exception cref="InvalidOperationException">no write is waiting for an acknowledgement.</exception>
    public int Acked()
    {
        var length = _writes.Dequeue();
        UnackedBytes -= length;
        return length;
    }

    /// <summary>Whether the connection may read again now, moving between paused and open as the watermarks say.</summary>
    public ReadGate NextRead()
    {
        if (IsPaused)
        {
            if (UnackedBytes > _lowWatermark)
                return ReadGate.StillPaused;
            IsPaused = false;
            return ReadGate.Resumed;
        }
        if (UnackedBytes >= _highWatermark)
        {
            IsPaused = true;
            return ReadGate.Paused;
        }
        return ReadGate.Open;
    }
}

/// <summary>The answer of <see cref="EchoWindow.NextRead"/>.</summary>
public enum ReadGate
{
    /// <summary>Under the high watermark: read.</summary>
    Open,

    /// <summary>Was paused and acknowledgements reached the low watermark: read again.</summary>
    Resumed,

    /// <summary>Just reached the high watermark: stop reading.</summary>
    Paused,

    /// <summary>Paused, still above the low watermark: do not read.</summary>
    StillPaused,
}
