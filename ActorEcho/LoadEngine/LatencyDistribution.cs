using HdrHistogram;

namespace ActorEcho.LoadEngine;

/// <summary>What a run keeps of its latency histogram: the summary (<see cref="LatencySummary"/>) and the percentile
/// distribution, as HdrHistogram's own output walks it (ticks that halve the distance to 100 % five times per halving,
/// so the tail gets as many points as the body).</summary>
public static class LatencyDistribution
{
    private const int TicksPerHalfDistance = 5;

    public static LatencySummary Summarise(LongHistogram nanoseconds)
    {
        if (nanoseconds.TotalCount == 0)
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        return new LatencySummary(nanoseconds.TotalCount, Micro(nanoseconds.GetMean()),
            Micro(nanoseconds.GetValueAtPercentile(50)), Micro(nanoseconds.GetValueAtPercentile(90)),
            Micro(nanoseconds.GetValueAtPercentile(99)), Micro(nanoseconds.GetValueAtPercentile(99.9)),
            Micro(nanoseconds.GetMaxValue()));
    }

    public static IReadOnlyList<PercentilePoint> Percentiles(LongHistogram nanoseconds)
    {
        if (nanoseconds.TotalCount == 0)
            return [];
        var points = new List<PercentilePoint>();
        foreach (var step in nanoseconds.Percentiles(TicksPerHalfDistance))
        {
            var point = new PercentilePoint(Math.Round(step.PercentileLevelIteratedTo, 6),
                Micro(nanoseconds.HighestEquivalentValue(step.ValueIteratedTo)));
            if (points.Count == 0 || points[^1] != point)
                points.Add(point);
        }
        return points;
    }

    private static double Micro(double nanoseconds) => Math.Round(nanoseconds / 1000, 1);
}
