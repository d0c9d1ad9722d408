using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Limits;

namespace ActorEcho.Edge;

/// <summary>
/// Open connections and a connect-rate <see cref="TokenBucket"/> per source, for
/// <c>actor-echo.per-source</c>. A source is its address with IPv4-mapped IPv6 as IPv4, and IPv6 cut to its /64
/// (see <see cref="KeyOf"/>). The table holds at most <c>max-sources</c> entries, as the UDP echo's does
/// (<see cref="SourceRateLimiter"/>): a source with no open connection and a full bucket is forgotten at once
/// (a new entry would be the same), others when a full table is swept (at most every
/// <see cref="SourceRateLimiter.SweepInterval"/>); a new source that still finds it full is refused. Not
/// thread-safe: the listener owns it.
/// </summary>
public sealed class SourceTable
{
    private sealed class Entry
    {
        public int Open;
        public TokenBucket? Bucket;
    }

    private readonly Dictionary<IPAddress, Entry> _entries = [];
    private int? _maxConnections;
    private int? _connectRate;
    private int _maxSources;
    private readonly TimeProvider _time;
    private readonly long _sweepIntervalTicks;
    private long _lastSweep;

    /// <param name="maxConnections">Open connections per source, or null for no limit.</param>
    /// <param name="connectRate">New connections per second per source, with a burst of one second's worth, or
    /// null for no limit.</param>
    public SourceTable(int? maxConnections, int? connectRate, int maxSources, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSources);
        _maxConnections = maxConnections;
        _connectRate = connectRate;
        _maxSources = maxSources;
        _time = time;
        _sweepIntervalTicks = (long)(SourceRateLimiter.SweepInterval.TotalSeconds * time.TimestampFrequency);
        _lastSweep = time.GetTimestamp() - _sweepIntervalTicks;
    }

    /// <summary>Sources tracked now.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// The key a source is counted under. IPv6 sources are keyed by their /64: one host or one subscriber gets a
    /// whole /64 (SLAAC, RFC 6177), and privacy addresses let one host pick any address in it, so keying by /128
    /// would let a single client dodge every per-source limit. Hosts that share a /64 share its limits, as hosts
    /// behind one IPv4 NAT do.
    /// </summary>
    public static IPAddress KeyOf(IPAddress address)
    {
        var normalized = AddressList.Normalize(address);
        if (normalized.AddressFamily != AddressFamily.InterNetworkV6)
            return normalized;
        Span<byte> bytes = stackalloc byte[16];
        normalized.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>Counts one more connection from the source keyed <paramref name="key"/> (see <see cref="KeyOf"/>)
    /// if its limits allow it; returns null then, or the <see cref="Refusal"/> reason.</summary>
    public string? TryOpen(IPAddress key)
    {
        var now = _time.GetTimestamp();
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= _maxSources && !Sweep(now))
                return Refusal.SourceTableFull;
            entry = new Entry { Bucket = _connectRate is { } rate ? new TokenBucket(rate, 1, _time.TimestampFrequency, now) : null };
            _entries.Add(key, entry);
        }
        if (entry.Open >= _maxConnections)
            return Refusal.PerSourceLimit;
        // One token per connection; the bucket's second currency (bytes) is not used here: 0 bytes always fit.
        if (entry.Bucket is { } bucket && !bucket.TryTake(0, now))
            return Refusal.ConnectRate;
        entry.Open++;
        return null;
    }

    /// <summary>A connection counted by <see cref="TryOpen"/> ended.</summary>
    public void Closed(IPAddress key)
    {
        if (!_entries.TryGetValue(key, out var entry))
            return;
        entry.Open--;
        if (IsForgettable(entry, _time.GetTimestamp()))
            _entries.Remove(key);
    }

    private static bool IsForgettable(Entry entry, long now) =>
        entry.Open <= 0 && (entry.Bucket is null || entry.Bucket.IsFullAt(now));

    /// <summary>New limits (a reload), in place: the open connections stay counted. A changed connect rate gives
    /// every source a full bucket at the new rate (a bucket cannot change its rate, and a full one forgets nothing a
    /// client could exploit beyond one second's worth).</summary>
    public void ChangeLimits(int? maxConnections, int? connectRate, int maxSources)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSources);
        var rateChanged = connectRate != _connectRate;
        _maxConnections = maxConnections;
        _connectRate = connectRate;
        _maxSources = maxSources;
        if (!rateChanged)
            return;
        var now = _time.GetTimestamp();
        foreach (var entry in _entries.Values)
            entry.Bucket = connectRate is { } rate ? new TokenBucket(rate, 1, _time.TimestampFrequency, now) : null;
    }

    /// <summary>Counts a connection that is already open (one served before a reload made this table), whatever
    /// the limits say: the limits then refuse new connections until the source is under them.</summary>
    public void CountOpen(IPAddress key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new Entry { Bucket = _connectRate is { } rate ? new TokenBucket(rate, 1, _time.TimestampFrequency, _time.GetTimestamp()) : null };
            _entries.Add(key, entry);
        }
        entry.Open++;
    }

    /// <summary>Forgets the sources with nothing open and a full bucket; true if that made room.</summary>
    private bool Sweep(long now)
    {
        if (now - _lastSweep < _sweepIntervalTicks)
            return false;
        _lastSweep = now;
        foreach (var (key, entry) in _entries)
            if (IsForgettable(entry, now))
                _entries.Remove(key);
        return _entries.Count < _maxSources;
    }
}
