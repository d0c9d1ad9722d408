using System.Net;
using ActorEcho.Limits;

namespace ActorEcho.Edge;

/// <summary>
/// One <see cref="TokenBucket"/> per source address (not per address and port: a flooder that changes ports is
/// still one source), in a table of at most <c>max-sources</c> entries, so that spoofed sources cannot grow memory.
/// When the table is full, entries whose bucket has refilled completely are forgotten (a new bucket starts full,
/// so forgetting them changes nothing); that sweep runs at most once per <see cref="SweepInterval"/>, so a flood
/// of new sources costs one table walk per interval, not one per datagram. A new source that finds the table still
/// full is refused: under a spoofed flood, new sources wait, known ones keep their rate.
/// Not thread-safe: one actor owns it.
/// </summary>
public sealed class SourceRateLimiter
{
    /// <summary>Result of <see cref="TryTake"/>.</summary>
    public enum Verdict
    {
        Allowed,
        OverRate,
        TableFull,
    }

    private readonly Dictionary<IPAddress, TokenBucket> _buckets = [];
    private readonly double _packetsPerSecond;
    private readonly double _bytesPerSecond;
    private readonly int _maxSources;
    private readonly TimeProvider _time;
    private readonly long _sweepIntervalTicks;
    private long _lastSweep;

    public SourceRateLimiter(double packetsPerSecond, double bytesPerSecond, int maxSources, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSources);
        _packetsPerSecond = packetsPerSecond;
        _bytesPerSecond = bytesPerSecond;
        _maxSources = maxSources;
        _time = time;
        _sweepIntervalTicks = (long)(SweepInterval.TotalSeconds * time.TimestampFrequency);
        _lastSweep = time.GetTimestamp() - _sweepIntervalTicks;
    }

    /// <summary>How often, at most, a full table is swept for buckets that have refilled.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Sources being tracked now.</summary>
    public int Count => _buckets.Count;

    /// <summary>Charges one datagram of <paramref name="bytes"/> bytes to <paramref name="source"/>.</summary>
    public Verdict TryTake(IPAddress source, int bytes)
    {
        var now = _time.GetTimestamp();
        if (!_buckets.TryGetValue(source, out var bucket))
        {
            if (_buckets.Count >= _maxSources && !Sweep(now))
                return Verdict.TableFull;
            bucket = new TokenBucket(_packetsPerSecond, _bytesPerSecond, _time.TimestampFrequency, now);
            _buckets.Add(source, bucket);
        }
        return bucket.TryTake(bytes, now) ? Verdict.Allowed : Verdict.OverRate;
    }

    /// <summary>Forgets the sources whose bucket is full again; true if that made room.</summary>
    private bool Sweep(long now)
    {
        if (now - _lastSweep < _sweepIntervalTicks)
            return false;
        _lastSweep = now;
        foreach (var (address, bucket) in _buckets)
            if (bucket.IsFullAt(now))
                _buckets.Remove(address); // removing while enumerating is allowed for Dictionary since .NET Core 3.0
        return _buckets.Count < _maxSources;
    }
}
