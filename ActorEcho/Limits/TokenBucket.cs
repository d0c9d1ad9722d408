namespace ActorEcho.Limits;

/// <summary>
/// A token bucket in two currencies at once, packets and bytes: it refills at <c>packets-per-second</c> and
/// <c>bytes-per-second</c>, holds at most one second's worth of each, and lets a datagram through only if both
/// currencies can pay for it (a refused datagram takes nothing). Time comes in as <see cref="TimeProvider"/>
/// timestamps, so specs can drive it with a clock of their own. Not thread-safe: one actor owns it.
/// </summary>
public sealed class TokenBucket
{
    private readonly double _packetsPerTick;
    private readonly double _bytesPerTick;
    private readonly double _packetCapacity;
    private readonly double _byteCapacity;
    private double _packets;
    private double _bytes;
    private long _lastRefill;

    /// <param name="packetsPerSecond">Refill rate and capacity in packets.</param>
    /// <param name="bytesPerSecond">Refill rate and capacity in bytes.</param>
    /// <param name="timestampFrequency">Ticks per second of the timestamps passed in
    /// (<see cref="TimeProvider.TimestampFrequency"/>).</param>
    /// <param name="now">The timestamp at creation: the bucket starts full.</param>
    public TokenBucket(double packetsPerSecond, double bytesPerSecond, long timestampFrequency, long now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(packetsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestampFrequency);
        _packetsPerTick = packetsPerSecond / timestampFrequency;
        _bytesPerTick = bytesPerSecond / timestampFrequency;
        _packetCapacity = packetsPerSecond;
        _byteCapacity = bytesPerSecond;
        _packets = _packetCapacity;
        _bytes = _byteCapacity;
        _lastRefill = now;
    }

    /// <summary>Takes one packet and <paramref name="bytes"/> bytes if both are there; otherwise takes nothing.</summary>
    public bool TryTake(int bytes, long now)
    {
        Refill(now);
        if (_packets < 1 || _bytes < bytes)
            return false;
        _packets -= 1;
        _bytes -= bytes;
        return true;
    }

    /// <summary>True when the bucket would be full at <paramref name="now"/>: forgetting it then loses nothing,
    /// since a new bucket starts full.</summary>
    public bool IsFullAt(long now)
    {
        var elapsed = Math.Max(0, now - _lastRefill);
        return _packets + elapsed * _packetsPerTick >= _packetCapacity && _bytes + elapsed * _bytesPerTick >= _byteCapacity;
    }

    private void Refill(long now)
    {
        var elapsed = now - _lastRefill;
        if (elapsed <= 0)
            return; // a clock that stands still (or steps back) adds nothing
        _lastRefill = now;
        _packets = Math.Min(_packetCapacity, _packets + elapsed * _packetsPerTick);
        _bytes = Math.Min(_byteCapacity, _bytes + elapsed * _bytesPerTick);
    }
}
