namespace ActorEcho.Tests.UdpEcho;

/// <summary>A clock that moves only when a spec says so: rate limits become exact counts, not timings.</summary>
public sealed class ManualTime : TimeProvider
{
    private long _ticks = 1_000_000_000;

    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, (long)(by.TotalSeconds * TimestampFrequency));
}
