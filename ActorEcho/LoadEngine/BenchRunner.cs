using System.Diagnostics;
using System.Net.Sockets;
using HdrHistogram;

namespace ActorEcho.LoadEngine;

/// <summary>
/// Runs one bench: opens all connections (timing the setup), runs them as tasks on the thread pool until the
/// clock stops them, and merges their counters and latencies. The first error aborts every connection and
/// is thrown as an <see cref="EchoFailureException"/>; errors are never averaged into the results.
/// </summary>
public sealed class BenchRunner
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly BenchOptions _options;
    private readonly Action<BenchProgress>? _onProgress;
    private BenchConnection[] _connections = [];
    private Exception? _firstFailure;

    private BenchRunner(BenchOptions options, Action<BenchProgress>? onProgress)
    {
        _options = options;
        _onProgress = onProgress;
    }

    /// <param name="interrupt">Cancelled to end the run early (Ctrl-C): what was measured until then is reported.</param>
    public static Task<BenchResult> RunAsync(BenchOptions options, Action<BenchProgress>? onProgress = null,
        CancellationToken interrupt = default) =>
        new BenchRunner(options, onProgress).RunAsync(interrupt);

    private async Task<BenchResult> RunAsync(CancellationToken interrupt)
    {
        var started = DateTimeOffset.UtcNow;
        var setup = Stopwatch.StartNew();
        var sockets = await ConnectAllAsync(interrupt).ConfigureAwait(false);
        var connectTime = setup.Elapsed;

        using var latency = new LatencyRecorder();
        var clock = BenchClock.StartingNow(_options.Warmup, _options.Duration);
        _connections = new BenchConnection[sockets.Length];
        for (var i = 0; i < sockets.Length; i++)
            _connections[i] = _options.Mode == BenchMode.Stream
                ? new StreamConnection(i, sockets[i], clock, latency, _options.MessageSize, _options.StreamWindow)
                : new PingPongConnection(i, sockets[i], clock, latency, _options.MessageSize);

        var running = new Task[_connections.Length];
        for (var i = 0; i < running.Length; i++)
        {
            var connection = _connections[i];
            running[i] = Task.Run(() => RunConnectionAsync(connection));
        }
        var allDone = Task.WhenAll(running);

        var sampler = new ThroughputSampler(ReadTotals, clock.MeasureStart);
        IReadOnlyList<ThroughputSample> throughput;
        await using (sampler.ConfigureAwait(false))
        {
            await ReportProgressUntilAsync(clock, allDone, interrupt).ConfigureAwait(false);
            throughput = await sampler.StopAsync().ConfigureAwait(false);
        }
        var interrupted = interrupt.IsCancellationRequested;
        if (interrupted)
            clock.EndMeasurementAt(Stopwatch.GetTimestamp());
        clock.RequestStop();
        try
        {
            await allDone.WaitAsync(_options.FinishTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Fail(EchoFailureException.Network(
                $"the server stopped echoing: connections still waited for their echo {Dialer.Describe(_options.FinishTimeout)} after the run"));
            await allDone.ConfigureAwait(false); // aborted sockets end them promptly
        }

        if (_firstFailure is not null)
            throw AsEchoFailure(_firstFailure);
        if (interrupted && clock.MeasuredSpan <= TimeSpan.Zero)
            throw new OperationCanceledException(interrupt);
        var histogram = latency.Merge();
        return Summarise(connectTime, histogram, clock.MeasuredSpan) with
        {
            Interrupted = interrupted,
            Address = Dialer.Describe(_options.Endpoint),
            StartedAt = started,
            Throughput = throughput,
            LatencyPercentiles = LatencyDistribution.Percentiles(histogram),
        };
    }

    /// <summary>Messages echoed so far by every connection, warmup included, and their payload bytes.</summary>
    private (long Messages, long Bytes) ReadTotals()
    {
        long messages = 0;
        foreach (var connection in _connections)
            messages += connection.Messages;
        return (messages, messages * _options.MessageSize);
    }

    private async Task<Socket[]> ConnectAllAsync(CancellationToken interrupt)
    {
        DescriptorBudget.EnsureRoomFor(_options.Connections);
        var sockets = new Socket?[_options.Connections];
        using var slots = new SemaphoreSlim(_options.ConnectParallelism);
        // An interrupt (Ctrl-C) during setup abandons it like a failed connect does.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var connecting = new Task[sockets.Length];
        for (var i = 0; i < sockets.Length; i++)
        {
            var index = i;
            connecting[i] = ConnectOneAsync(index);
        }
        try
        {
            await Task.WhenAll(connecting).ConfigureAwait(false);
            return sockets!;
        }
        catch
        {
            foreach (var socket in sockets)
                socket?.Dispose();
            // The first failure is the reason; the rest were cancelled because of it.
            if (connecting.Select(t => t.Exception?.InnerException).OfType<EchoFailureException>().FirstOrDefault() is { } failure)
                throw failure;
            interrupt.ThrowIfCancellationRequested();
            throw connecting.First(t => t.IsFaulted).Exception!.InnerException!;
        }

        async Task ConnectOneAsync(int index)
        {
            await slots.WaitAsync(abandon.Token).ConfigureAwait(false);
            try
            {
                sockets[index] = await Dialer.ConnectAsync(_options.Endpoint, _options.ConnectTimeout, abandon.Token).ConfigureAwait(false);
            }
            catch (EchoFailureException)
            {
                await abandon.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                slots.Release();
            }
        }
    }

    private async Task RunConnectionAsync(BenchConnection connection)
    {
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            Fail(EchoFailureException.Network(
                $"connection {connection.Id} to {Dialer.Describe(_options.Endpoint)}: {Dialer.Describe(e)}"));
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    /// <summary>Keeps the first failure and aborts every connection, so the run ends at once.</summary>
    private void Fail(Exception failure)
    {
        if (Interlocked.CompareExchange(ref _firstFailure, failure, null) is not null)
            return; // a consequence of the first failure (its sockets were aborted)
        foreach (var connection in _connections)
            connection.Abort();
    }

    private async Task ReportProgressUntilAsync(BenchClock clock, Task allDone, CancellationToken interrupt)
    {
        var interrupted = Task.Delay(Timeout.Infinite, interrupt);
        var started = Stopwatch.GetTimestamp();
        long lastTimestamp = started, lastMessages = 0;
        while (!allDone.IsCompleted)
        {
            var current = Stopwatch.GetTimestamp();
            if (current >= clock.MeasureEnd)
                return;
            var remaining = Stopwatch.GetElapsedTime(current, clock.MeasureEnd);
            var wait = remaining < ProgressInterval ? remaining : ProgressInterval;
            await Task.WhenAny(allDone, interrupted, Task.Delay(wait)).ConfigureAwait(false);
            if (interrupt.IsCancellationRequested)
                return;
            if (_onProgress is null)
                continue;

            var now = Stopwatch.GetTimestamp();
            long messages = 0;
            foreach (var connection in _connections)
                messages += connection.Messages;
            var seconds = Stopwatch.GetElapsedTime(lastTimestamp, now).TotalSeconds;
            if (seconds <= 0)
                continue;
            var rate = (messages - lastMessages) / seconds;
            _onProgress(new BenchProgress(Stopwatch.GetElapsedTime(started, now), now < clock.MeasureStart, rate,
                rate * _options.MessageSize / 1e6));
            lastTimestamp = now;
            lastMessages = messages;
        }
    }

    private BenchResult Summarise(TimeSpan connectTime, LongHistogram latency, TimeSpan measured)
    {
        long messages = 0, sent = 0, received = 0;
        foreach (var connection in _connections)
        {
            messages += connection.MeasuredMessages;
            sent += connection.MeasuredBytesSent;
            received += connection.MeasuredBytesReceived;
        }
        var seconds = measured.TotalSeconds;
        return new BenchResult
        {
            Target = _options.Target,
            Mode = _options.Mode,
            Connections = _options.Connections,
            MessageSize = _options.MessageSize,
            Window = _options.Mode == BenchMode.Stream ? _options.StreamWindow : null,
            DurationSeconds = seconds,
            WarmupSeconds = _options.Warmup.TotalSeconds,
            ConnectSeconds = connectTime.TotalSeconds,
            ConnectionsPerSecond = _options.Connections / Math.Max(connectTime.TotalSeconds, 1e-6),
            Messages = messages,
            MessagesPerSecond = messages / seconds,
            BytesSent = sent,
            BytesReceived = received,
            SentMegabytesPerSecond = sent / seconds / 1e6,
            ReceivedMegabytesPerSecond = received / seconds / 1e6,
            LatencyMicroseconds = LatencyDistribution.Summarise(latency),
        };
    }

    /// <summary>What is left after <see cref="RunConnectionAsync"/> named socket errors: an abort seen first.</summary>
    private Exception AsEchoFailure(Exception failure) => failure switch
    {
        EchoFailureException => failure,
        ObjectDisposedException or OperationCanceledException => EchoFailureException.Network(
            $"bench against {Dialer.Describe(_options.Endpoint)}: connection aborted"),
        _ => failure,
    };
}
