using System.Diagnostics;
using HdrHistogram;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Round-trip latencies in nanoseconds, recorded without locks: every thread-pool thread records into its own
/// <see cref="LongHistogram"/>, and the histograms are merged once at the end. Recording is a synchronous call,
/// so a thread's histogram is never used by two threads at once. One histogram per thread rather than per
/// connection keeps memory flat (a 3-digit histogram up to a minute is ~200 KB; 1,000 connections would be 200 MB).
/// </summary>
public sealed class LatencyRecorder : IDisposable
{
    /// <summary>Longest latency tracked; longer ones are recorded as this (the run is capped well below it).</summary>
    public static readonly long HighestNanoseconds = (long)TimeSpan.FromMinutes(10).TotalNanoseconds;

    private readonly ThreadLocal<LongHistogram> _perThread =
        new(() => new LongHistogram(HighestNanoseconds, 3), trackAllValues: true);

    /// <summary>Records the time from <paramref name="startTimestamp"/> to <paramref name="endTimestamp"/>
    /// (<see cref="Stopwatch"/> timestamps).</summary>
    public void Record(long startTimestamp, long endTimestamp)
    {
        var nanoseconds = (long)((endTimestamp - startTimestamp) * NanosecondsPerTick);
        _perThread.Value!.RecordValue(Math.Clamp(nanoseconds, 1, HighestNanoseconds));
    }

    /// <summary>All threads' recordings in one histogram; call once recording has stopped.</summary>
    public LongHistogram Merge()
    {
        var merged = new LongHistogram(HighestNanoseconds, 3);
        foreach (var histogram in _perThread.Values)
            merged.Add(histogram);
        return merged;
    }

    public void Dispose() => _perThread.Dispose();

    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;
}
