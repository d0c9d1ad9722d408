using System.Diagnostics;

namespace ActorEcho.Bench;

/// <summary>
/// The run's phases as <see cref="Stopwatch"/> timestamps, shared read-only by all connections: warmup until
/// <see cref="MeasureStart"/>, measured until <see cref="MeasureEnd"/>, then <see cref="StopRequested"/> and
/// every connection finishes its message in flight and closes.
/// </summary>
public sealed class BenchClock(long measureStart, long measureEnd)
{
    private volatile bool _stopRequested;

    public long MeasureStart { get; } = measureStart;
    public long MeasureEnd { get; } = measureEnd;

    public bool StopRequested => _stopRequested;

    public void RequestStop() => _stopRequested = true;

    /// <summary>Whether something that completed at <paramref name="timestamp"/> counts in the results.</summary>
    public bool IsMeasured(long timestamp) => timestamp >= MeasureStart && timestamp < MeasureEnd;

    public static BenchClock StartingNow(TimeSpan warmup, TimeSpan duration)
    {
        var now = Stopwatch.GetTimestamp();
        var start = now + Ticks(warmup);
        return new BenchClock(start, start + Ticks(duration));
    }

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
