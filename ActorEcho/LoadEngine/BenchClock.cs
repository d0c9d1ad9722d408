using System.Diagnostics;

namespace ActorEcho.LoadEngine;

/// <summary>
/// The run's phases as <see cref="Stopwatch"/> timestamps, shared read-only by all connections: warmup until
/// <see cref="MeasureStart"/>, measured until <see cref="MeasureEnd"/>, then <see cref="StopRequested"/> and
/// every connection finishes its message in flight and closes. An interrupted run (Ctrl-C) ends the measured
/// period early with <see cref="EndMeasurementAt"/>.
/// </summary>
public sealed class BenchClock(long measureStart, long measureEnd)
{
    private volatile bool _stopRequested;
    private long _measureEnd = measureEnd;

    public long MeasureStart { get; } = measureStart;
    public long MeasureEnd => Volatile.Read(ref _measureEnd);

    /// <summary>Ends the measured period at <paramref name="timestamp"/> if that is before its planned end.</summary>
    public void EndMeasurementAt(long timestamp)
    {
        long current;
        while (timestamp < (current = Volatile.Read(ref _measureEnd))
               && Interlocked.CompareExchange(ref _measureEnd, timestamp, current) != current)
        {
        }
    }

    /// <summary>Length of the measured period: planned, or cut short (zero if cut during warmup).</summary>
    public TimeSpan MeasuredSpan => MeasureEnd > MeasureStart ? Stopwatch.GetElapsedTime(MeasureStart, MeasureEnd) : TimeSpan.Zero;

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
