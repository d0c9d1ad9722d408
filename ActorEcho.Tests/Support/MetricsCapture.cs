using ActorEcho.TcpEcho;
using System.Diagnostics.Metrics;
using ActorEcho.Diagnostics;
using ActorEcho.UdpEcho;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ActorEcho.Tests.Support;

/// <summary>
/// What the server's instruments (<see cref="EchoMetrics"/>, and the UDP echo's <see cref="UdpMetrics"/>) recorded since this capture started: one
/// <see cref="MetricCollector{T}"/> per instrument, summed (by <c>reason</c> tag where asked) and waited on.
/// The instruments are process-wide, so specs using this run in the isolated collection.
/// </summary>
public sealed class MetricsCapture : IDisposable
{
    private readonly Dictionary<string, MetricCollector<long>> _collectors = new Instrument<long>[]
    {
        EchoMetrics.ConnectionsActive, EchoMetrics.ConnectionsAccepted, EchoMetrics.ConnectionsRejected,
        EchoMetrics.ConnectionsClosed, EchoMetrics.BytesReceived, EchoMetrics.BytesSent, EchoMetrics.ReadsSuspended,
        UdpMetrics.DatagramsReceived, UdpMetrics.DatagramsEchoed, UdpMetrics.BytesEchoed, UdpMetrics.DatagramsDropped,
    }.ToDictionary(instrument => instrument.Name, instrument => new MetricCollector<long>(instrument));

    public long ActiveConnections => Total(EchoMetrics.ConnectionsActive.Name);
    public long Accepted => Total(EchoMetrics.ConnectionsAccepted.Name);
    public long Rejected => Total(EchoMetrics.ConnectionsRejected.Name);
    public long BytesReceived => Total(EchoMetrics.BytesReceived.Name);
    public long BytesSent => Total(EchoMetrics.BytesSent.Name);
    public long ReadsSuspended => Total(EchoMetrics.ReadsSuspended.Name);
    public long Closed(CloseReason reason) => Total(EchoMetrics.ConnectionsClosed.Name, CloseReasonTags.Text(reason));
    public long ClosedTotal => Total(EchoMetrics.ConnectionsClosed.Name);

    /// <summary>The sum of what <paramref name="instrument"/> recorded, only with that <c>reason</c> tag if given.</summary>
    public long Total(string instrument, string? reason = null) =>
        _collectors[instrument].GetMeasurementSnapshot()
            .Where(m => reason is null || (m.Tags.TryGetValue("reason", out var tag) && Equals(tag, reason)))
            .Sum(m => m.Value);

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking after each new measurement.</summary>
    public async Task WaitUntilAsync(Func<MetricsCapture, bool> condition, TimeSpan timeout, string description)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            // Counted before the check, so that a measurement arriving in between ends the wait at once.
            var next = _collectors.Values.Select(c => (Collector: c, Count: c.GetMeasurementSnapshot().Count + 1)).ToList();
            if (condition(this))
                return;
            try
            {
                await Task.WhenAny(next.Select(n => n.Collector.WaitForMeasurementsAsync(n.Count, deadline.Token)))
                    .Unwrap();
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"metrics: '{description}' still false after {timeout}; {this}");
            }
        }
    }

    public override string ToString() => string.Join(", ", _collectors.OrderBy(c => c.Key)
        .SelectMany(c => c.Value.GetMeasurementSnapshot()
            .GroupBy(m => m.Tags.TryGetValue("reason", out var reason) ? reason as string : null)
            .Select(g => g.Key is null ? $"{c.Key}={g.Sum(m => m.Value)}" : $"{c.Key}{{{g.Key}}}={g.Sum(m => m.Value)}")));

    public void Dispose()
    {
        foreach (var collector in _collectors.Values)
            collector.Dispose();
    }
}
