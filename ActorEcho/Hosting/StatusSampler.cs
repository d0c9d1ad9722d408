using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ActorEcho.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace ActorEcho.Hosting;

/// <summary>
/// The status page's memory (<see cref="StatusBoard"/>): every <see cref="Interval"/> it takes a
/// <see cref="Sample"/> (bytes in and out so far, connections accepted and refused by reason so far) and keeps the
/// last <see cref="Capacity"/>, five minutes, for the page's rates and chart. Runs only with the HTTP endpoint, as a
/// hosted service of the server's host; at its start it also creates the dashboard's series (<see cref="MetricSeries"/>).
/// </summary>
/// <remarks>
/// Accepts and refusals are counted by a <see cref="MeterListener"/> enabled on those two instruments only, never on
/// a per-frame one: one callback per connection, none per byte. The meter is process-wide, so with several servers
/// in one process (the specs) it counts them all, as <c>/metrics</c> does. Bytes come from the
/// <see cref="TcpEcho.ConnectionTable"/>, which the connections keep up to date themselves.
/// </remarks>
public sealed class StatusSampler(EchoHostContext echo, IServiceProvider services) : IHostedService, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <summary>Five minutes of samples.</summary>
    public const int Capacity = 150;

    /// <summary>What the server had done by <see cref="AtMs"/> (on <see cref="Environment.TickCount64"/>'s clock):
    /// totals since it started, so that any two samples give a rate.</summary>
    public sealed record Sample(long AtMs, long BytesIn, long BytesOut, long Accepted, IReadOnlyDictionary<string, long> Refused);

    private static readonly IReadOnlyDictionary<string, long> NoRefusals = new Dictionary<string, long>();

    private readonly Queue<Sample> _samples = new(Capacity);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _refused = new();
    private long _accepted;

    /// <summary>When the sampler started, with the host, on <see cref="Environment.TickCount64"/>'s clock.</summary>
    public long StartedAtMs { get; private set; } = Environment.TickCount64;
    private MeterListener? _meters;
    private Timer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The exporter must listen before the zeros are added: resolving the provider builds it.
        StartedAtMs = Environment.TickCount64;
        _ = services.GetService<MeterProvider>();
        MetricSeries.Initialise(echo);
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument == EchoMetrics.ConnectionsAccepted || instrument == EchoMetrics.ConnectionsRejected)
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _meters.SetMeasurementEventCallback<long>(OnMeasurement);
        _meters.Start();
        Take(null);
        _timer = new Timer(Take, null, Interval, Interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _meters?.Dispose();
    }

    /// <summary>The samples kept, oldest first.</summary>
    public Sample[] Samples()
    {
        lock (_samples)
            return _samples.ToArray();
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument == EchoMetrics.ConnectionsAccepted)
        {
            Interlocked.Add(ref _accepted, value);
            return;
        }
        foreach (var tag in tags)
            if (tag is { Key: "reason", Value: string reason })
                Interlocked.Add(ref _refused.GetOrAdd(reason, _ => new StrongBox<long>()).Value, value);
    }

    private void Take(object? state)
    {
        var (bytesIn, bytesOut) = echo.Connections.TotalBytes();
        var refused = _refused.IsEmpty ? NoRefusals
            : _refused.ToDictionary(entry => entry.Key, entry => Interlocked.Read(ref entry.Value.Value));
        var sample = new Sample(Environment.TickCount64, bytesIn, bytesOut, Interlocked.Read(ref _accepted), refused);
        lock (_samples)
        {
            if (_samples.Count == Capacity)
                _samples.Dequeue();
            _samples.Enqueue(sample);
        }
    }
}
