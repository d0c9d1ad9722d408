using System.Diagnostics.Metrics;
using ActorEcho.Diagnostics;

namespace ActorEcho.Tests.Support;

/// <summary>
/// Sums every measurement of the <c>ActorEcho</c> meter taken while it exists, per instrument and <c>reason</c>
/// tag, and lets a spec await a condition on those sums: the wait ends on the measurement that makes it true, not
/// on a poll. The meter is process-wide, so specs using this belong to <see cref="IsolatedCollection"/>.
/// </summary>
public sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Instrument, string? Reason), long> _totals = [];
    private readonly List<(Func<MetricsCapture, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public MetricsCapture()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EchoMetrics.MeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public long ActiveConnections => Total("actorecho.connections.active");
    public long Accepted => Total("actorecho.connections.accepted");
    public long Rejected => Total("actorecho.connections.rejected");
    public long BytesReceived => Total("actorecho.bytes.received");
    public long BytesSent => Total("actorecho.bytes.sent");
    public long ReadsSuspended => Total("actorecho.reads.suspended");
    public long Closed(string reason) => Total("actorecho.connections.closed", reason);
    public long ClosedTotal => Total("actorecho.connections.closed");

    /// <summary>The sum of <paramref name="instrument"/>'s measurements, all tags together or for one reason.</summary>
    public long Total(string instrument, string? reason = null)
    {
        lock (_gate)
        {
            return _totals.Where(e => e.Key.Instrument == instrument && (reason is null || e.Key.Reason == reason))
                .Sum(e => e.Value);
        }
    }

    /// <summary>Completes once <paramref name="condition"/> holds; fails with a snapshot of the sums after
    /// <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<MetricsCapture, bool> condition, TimeSpan timeout, string description)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition(this))
                return;
            _waiters.Add((condition, done));
        }
        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"metrics: '{description}' still false after {timeout}; {this}");
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return string.Join(", ", _totals.OrderBy(e => e.Key.Instrument).ThenBy(e => e.Key.Reason)
                .Select(e => e.Key.Reason is null ? $"{e.Key.Instrument}={e.Value}" : $"{e.Key.Instrument}{{{e.Key.Reason}}}={e.Value}"));
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? reason = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "reason")
                reason = tag.Value as string;
        }

        lock (_gate)
        {
            var key = (instrument.Name, reason);
            _totals[key] = _totals.GetValueOrDefault(key) + value;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Condition(this))
                    continue;
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}
