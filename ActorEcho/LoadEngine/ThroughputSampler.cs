using System.Diagnostics;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Reads a run's running totals (messages and payload bytes echoed, warmup included) once a second on a timer of its
/// own and keeps the rates of each interval, for the report's throughput over the run. The totals are read, never
/// locked: each counter has one writer.
/// </summary>
public sealed class ThroughputSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Func<(long Messages, long Bytes)> _readTotals;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly long _measureStart;
    private readonly List<ThroughputSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _lastTimestamp;
    private (long Messages, long Bytes) _last;

    /// <param name="readTotals">The run's totals so far.</param>
    /// <param name="measureStart">When the warmup ends (a <see cref="Stopwatch"/> timestamp): earlier intervals are
    /// marked as warmup.</param>
    public ThroughputSampler(Func<(long Messages, long Bytes)> readTotals, long measureStart)
    {
        _readTotals = readTotals;
        _measureStart = measureStart;
        _lastTimestamp = _started;
        _sampling = SampleAsync();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                Take();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Take()
    {
        var now = Stopwatch.GetTimestamp();
        var totals = _readTotals();
        var seconds = Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        if (seconds < 0.05)
            return; // a sliver at the end says nothing about a rate
        lock (_samples)
            _samples.Add(new ThroughputSample(Math.Round(Stopwatch.GetElapsedTime(_started, now).TotalSeconds, 3),
                now <= _measureStart, Math.Round((totals.Messages - _last.Messages) / seconds, 1),
                Math.Round((totals.Bytes - _last.Bytes) / seconds / 1e6, 3)));
        _last = totals;
        _lastTimestamp = now;
    }

    /// <summary>Stops sampling, takes the last (partial) interval, and returns every sample.</summary>
    public async Task<IReadOnlyList<ThroughputSample>> StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _sampling.ConfigureAwait(false);
            Take();
        }
        lock (_samples)
            return [.. _samples];
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
