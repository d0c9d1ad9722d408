using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ActorEcho.Configuration;
using ActorEcho.Edge;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.IO;
using Microsoft.Extensions.DependencyInjection;

namespace ActorEcho.Hosting;

/// <summary>
/// <c>GET /status.json</c>, what the status page (<see cref="StatusPage"/>) shows: the listeners (TLS's with its
/// certificate in force), the last reload (<see cref="ReloadRecord"/>), connections now,
/// accepts and refusals per second by reason, bytes per second over the last five minutes, the memory bound's use,
/// paused connections, the top sources and the first connections. Built on each request from the listeners'
/// counters (one <see cref="EchoProtocol.GetStats"/> each), the <see cref="StatusSampler"/>'s samples, the budget and
/// one pass over the <see cref="ConnectionTable"/>; it reads, never changes, the server.
/// </summary>
public sealed class StatusBoard(EchoHostContext echo, StatusSampler sampler, IServiceProvider services)
{
    public const int TopSources = 10;
    public const int FirstConnections = 20;

    /// <summary>Rates are over this much of the samples' history (the last five), steadier than one interval.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(1);
    private long _boundBytes = -1;

    /// <summary>The listener's counters, with <see cref="EchoProtocol.ListenerStats"/>; null if it did not answer. TLS's
    /// row has the certificate new handshakes get.</summary>
    private sealed record ListenerRow(string Name, string Address, EchoProtocol.ListenerStats? Stats,
        X509Certificate2? Certificate = null);

    /// <summary>Writes the status as JSON to <paramref name="output"/>.</summary>
    public async Task WriteAsync(IBufferWriter<byte> output, CancellationToken ct)
    {
        var system = services.GetRequiredService<ActorSystem>();
        var listeners = await ListenersAsync(system, ct).ConfigureAwait(false);
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("uptimeSeconds", (Environment.TickCount64 - sampler.StartedAtMs) / 1000);
        json.WriteString("readiness", echo.Readiness.Current.ToString());
        WriteListeners(json, listeners);
        WriteLastReload(json, echo.LastReload);
        WriteConnections(json, listeners);
        var samples = sampler.Samples();
        WriteRates(json, samples);
        WriteTraffic(json, samples);
        WriteMemory(json, system);
        WriteTable(json);
        json.WriteEndObject();
    }

    private async Task<List<ListenerRow>> ListenersAsync(ActorSystem system, CancellationToken ct)
    {
        var rows = new List<ListenerRow>();
        if (!echo.Listener.IsNobody())
            rows.Add(new("tcp", EndpointParser.Format(echo.LocalEndpoint),
                await StatsAsync(echo.Listener, ct).ConfigureAwait(false)));
        if (echo.TlsLocalEndpoint is { } tls && echo.Tls is { } tlsListener)
            rows.Add(new("tls", EndpointParser.Format(tls), await StatsAsync(tlsListener.Listener, ct).ConfigureAwait(false),
                tlsListener.Kind.Credentials.Certificate));
        if (echo.UdpLocalEndpoint is { } udp)
            rows.Add(new("udp", EndpointParser.Format(udp), null));
        if (echo.HttpAddress is { } http)
            rows.Add(new("http", http.ToString().TrimEnd('/'), null));
        return rows;
    }

    /// <summary>The listener's counters, or null once it no longer answers (it stops at the end of a shutdown).</summary>
    private static async Task<EchoProtocol.ListenerStats?> StatsAsync(ICanTell listener, CancellationToken ct)
    {
        try
        {
            return await listener.Ask<EchoProtocol.ListenerStats>(EchoProtocol.GetStats.Instance, AskTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or ActorNotFoundException)
        {
            return null;
        }
    }

    private static void WriteListeners(Utf8JsonWriter json, List<ListenerRow> listeners)
    {
        json.WriteStartArray("listeners");
        foreach (var row in listeners)
        {
            json.WriteStartObject();
            json.WriteString("name", row.Name);
            json.WriteString("address", row.Address);
            if (row.Stats is { } stats)
            {
                json.WriteNumber("active", stats.Active);
                json.WriteNumber("accepted", stats.Accepted);
                json.WriteNumber("refused", stats.Rejected);
            }
            if (row.Certificate is { } certificate)
            {
                json.WriteStartObject("certificate");
                json.WriteString("subject", certificate.Subject);
                json.WriteString("serial", certificate.SerialNumber);
                json.WriteString("notAfter", certificate.NotAfter.ToUniversalTime());
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>The last reload that read anything, or null.</summary>
    private static void WriteLastReload(Utf8JsonWriter json, ReloadRecord? last)
    {
        if (last is null)
        {
            json.WriteNull("lastReload");
            return;
        }
        json.WriteStartObject("lastReload");
        json.WriteString("at", last.At);
        json.WriteString("trigger", last.Trigger);
        json.WriteString("result", last.Result);
        json.WriteEndObject();
    }

    /// <summary>Connections now: the TCP and TLS listeners' own counts (exact, this server's only).</summary>
    private static void WriteConnections(Utf8JsonWriter json, List<ListenerRow> listeners)
    {
        var answered = listeners.Where(row => row.Stats is not null).Select(row => row.Stats!).ToList();
        json.WriteStartObject("connections");
        json.WriteNumber("open", answered.Sum(stats => stats.Active));
        json.WriteNumber("accepted", answered.Sum(stats => stats.Accepted));
        json.WriteNumber("refused", answered.Sum(stats => stats.Rejected));
        json.WriteEndObject();
    }

    /// <summary>Accepts and refusals by reason per second over <see cref="RateWindow"/> (or what there is of it).</summary>
    private static void WriteRates(Utf8JsonWriter json, StatusSampler.Sample[] samples)
    {
        json.WriteStartObject("rates");
        if (samples.Length >= 2)
        {
            var last = samples[^1];
            var first = samples[Math.Max(0, samples.Length - 1 - (int)(RateWindow / StatusSampler.Interval))];
            var seconds = Math.Max(0.001, (last.AtMs - first.AtMs) / 1000.0);
            json.WriteNumber("windowSeconds", Math.Round(seconds, 1));
            json.WriteNumber("acceptedPerSecond", Math.Round((last.Accepted - first.Accepted) / seconds, 2));
            json.WriteStartObject("refusedPerSecond");
            foreach (var (reason, count) in last.Refused.OrderBy(entry => entry.Key, StringComparer.Ordinal))
                json.WriteNumber(reason, Math.Round((count - first.Refused.GetValueOrDefault(reason)) / seconds, 2));
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    /// <summary>Bytes per second in and out between consecutive samples, with each point's age.</summary>
    private static void WriteTraffic(Utf8JsonWriter json, StatusSampler.Sample[] samples)
    {
        var now = Environment.TickCount64;
        json.WriteStartObject("traffic");
        json.WriteNumber("spanSeconds", StatusSampler.Capacity * StatusSampler.Interval.TotalSeconds);
        json.WriteStartArray("points");
        for (var i = 1; i < samples.Length; i++)
        {
            var (before, after) = (samples[i - 1], samples[i]);
            var seconds = Math.Max(0.001, (after.AtMs - before.AtMs) / 1000.0);
            json.WriteStartArray();
            json.WriteNumberValue(Math.Round((now - after.AtMs) / 1000.0, 1));
            json.WriteNumberValue(Math.Round((after.BytesIn - before.BytesIn) / seconds));
            json.WriteNumberValue(Math.Round((after.BytesOut - before.BytesOut) / seconds));
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The budget's use, and the process's resident memory against the bound logged at start.</summary>
    private void WriteMemory(Utf8JsonWriter json, ActorSystem system)
    {
        if (_boundBytes < 0)
            _boundBytes = MemoryBound.For(echo.Settings, system.WithExtension<TcpExt, Tcp>().Settings.MaxFrameSizeBytes).WorstCaseBytes;
        json.WriteStartObject("memory");
        json.WriteNumber("bufferedBytes", echo.Budget.HeldBytes);
        json.WriteNumber("maxBufferedBytes", echo.Budget.LimitBytes);
        json.WriteNumber("rssBytes", Environment.WorkingSet);
        json.WriteNumber("boundBytes", _boundBytes);
        json.WriteNumber("availableBytes", MemoryBound.AvailableToProcess());
        json.WriteEndObject();
    }

    /// <summary>One pass over the open connections: paused by window, the top sources by open connections (keyed as
    /// the per-source limits key them, <see cref="SourceTable.KeyOf"/>), and the oldest <see cref="FirstConnections"/>.</summary>
    private void WriteTable(Utf8JsonWriter json)
    {
        var now = Environment.TickCount64;
        var pausedByWindow = 0;
        var open = 0;
        var sources = new Dictionary<IPAddress, int>();
        // A max-heap by age's opposite: dequeuing drops the youngest, so the oldest stay.
        var oldest = new PriorityQueue<ConnectionView, long>(FirstConnections + 1);
        foreach (var view in echo.Connections.Open)
        {
            open++;
            if (view.State == ConnectionState.PausedByWindow)
                pausedByWindow++;
            var key = SourceTable.KeyOf(view.ClientAddress);
            sources[key] = sources.GetValueOrDefault(key) + 1;
            if (oldest.Count < FirstConnections)
                oldest.Enqueue(view, -view.StartedAtMs);
            else
                oldest.EnqueueDequeue(view, -view.StartedAtMs);
        }

        json.WriteStartObject("paused");
        json.WriteNumber("byWindow", pausedByWindow);
        json.WriteNumber("byBudget", echo.Budget.PausedConnections);
        json.WriteEndObject();

        // The most open connections first: a heap of TopSources, not a sort of every source.
        var top = new PriorityQueue<IPAddress, int>(TopSources + 1);
        foreach (var (source, count) in sources)
            if (top.Count < TopSources)
                top.Enqueue(source, count);
            else
                top.EnqueueDequeue(source, count);
        var ranked = new List<(IPAddress Source, int Open)>(top.Count);
        while (top.TryDequeue(out var source, out var count))
            ranked.Add((source, count));
        ranked.Reverse();
        json.WriteStartArray("topSources");
        foreach (var (source, count) in ranked)
        {
            json.WriteStartObject();
            json.WriteString("source", source.ToString());
            json.WriteNumber("open", count);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        var first = new List<ConnectionView>(oldest.Count);
        while (oldest.TryDequeue(out var view, out _))
            first.Add(view);
        first.Reverse();
        json.WriteStartObject("table");
        json.WriteNumber("open", open);
        json.WriteStartArray("first");
        foreach (var view in first)
        {
            json.WriteStartObject();
            json.WriteString("id", view.Id);
            json.WriteString("client", view.Client);
            if (view.Via is { } via)
                json.WriteString("via", via);
            json.WriteString("transport", view.Transport);
            json.WriteString("state", view.StateText);
            json.WriteNumber("ageSeconds", (now - view.StartedAtMs) / 1000);
            json.WriteNumber("bytesIn", view.BytesIn);
            json.WriteNumber("bytesOut", view.BytesOut);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
