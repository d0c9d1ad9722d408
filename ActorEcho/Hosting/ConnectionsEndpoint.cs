using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static ActorEcho.TcpEcho.EchoProtocol;

namespace ActorEcho.Hosting;

/// <summary>
/// The live view on the HTTP endpoint (<see cref="HttpEndpoint"/>):
/// <list type="bullet">
/// <item><c>GET /connections</c>: one JSON object per open connection, plain and TLS, read from the host's
/// <see cref="ConnectionTable"/> without a message to any actor (the echo pays nothing for a reader);
/// <c>?limit=N</c> (1 to 10,000, default 100), <c>?sort=age</c> (oldest first, the default) or <c>bytes</c> (most
/// bytes in and out first), <c>?source=CIDR</c> (an address or a network, IPv4 or IPv6); <c>open</c> counts every
/// connection that matches, the list holds at most <c>limit</c> of them.</item>
/// <item><c>GET /sources</c>: per source (<see cref="SourceTable.KeyOf"/>: IPv6 by its /64), the open connections
/// (from the table) and the refusals by reason (asked of both listeners, which refuse, within a second);
/// <c>?limit=N</c> as above.</item>
/// </list>
/// A bad query is 400 with one line naming the parameter. Both show client addresses (docs/security.md).
/// </summary>
public static class ConnectionsEndpoint
{
    public const string ConnectionsPath = "/connections";
    public const string SourcesPath = "/sources";
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    /// <summary>How long <c>/sources</c> waits for each listener's refusals; a listener that does not answer in
    /// time is left out and the answer says <c>"complete": false</c>.</summary>
    private static readonly TimeSpan ListenerDeadline = TimeSpan.FromSeconds(1);

    /// <summary>Rows written between two flushes of the response, so that 10,000 rows are not held whole.</summary>
    private const int RowsPerFlush = 256;

    /// <summary>Maps both paths, answering only the methods of <paramref name="readOnly"/> (others: 405).</summary>
    public static void Map(IEndpointRouteBuilder endpoints, HttpMethodMetadata readOnly)
    {
        endpoints.Map(ConnectionsPath, WriteConnectionsAsync).WithMetadata(readOnly);
        endpoints.Map(SourcesPath, WriteSourcesAsync).WithMetadata(readOnly);
    }

    /// <summary>One connection as read once: the sort key is taken at the same moment as the row's figures.</summary>
    private readonly record struct Row(ConnectionView View, long BytesIn, long BytesOut, long Sequence);

    private static async Task WriteConnectionsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var bad = ReadLimit(query, out var limit);
        var badSort = ReadSort(query, out var byBytes);
        var badSource = ReadSource(query, out var source);
        if ((bad ?? badSort ?? badSource) is { } reason)
        {
            await BadRequestAsync(context, reason);
            return;
        }
        var table = context.RequestServices.GetRequiredService<EchoHostContext>().Connections;
        var rows = new List<Row>(table.Count);
        foreach (var view in table.Open)
            if (source is null || source.Contains(view.ClientAddress))
                rows.Add(new Row(view, view.BytesIn, view.BytesOut, view.Sequence));
        // Sorting all 10,000 rows took 1.3-2 ms here once jitted (Release, a Stopwatch in a scratch run, 2 cores
        // under load), less than writing them: a partial selection of the top N would save little.
        if (byBytes)
            rows.Sort(static (a, b) => (b.BytesIn + b.BytesOut).CompareTo(a.BytesIn + a.BytesOut) is var c and not 0 ? c : a.Sequence.CompareTo(b.Sequence));
        else
            rows.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));

        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        var ct = context.RequestAborted;
        var now = Environment.TickCount64;
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        json.WriteNumber("open", rows.Count);
        json.WriteStartArray("connections");
        for (var i = 0; i < Math.Min(limit, rows.Count); i++)
        {
            WriteConnection(json, rows[i], now);
            if (i % RowsPerFlush == RowsPerFlush - 1)
                await FlushAsync(json, response, ct);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await FlushAsync(json, response, ct);
    }

    private static void WriteConnection(Utf8JsonWriter json, Row row, long now)
    {
        var view = row.View;
        json.WriteStartObject();
        json.WriteString("id", view.Id);
        json.WriteString("client", view.Client);
        if (view.Via is { } via)
            json.WriteString("via", via);
        else
            json.WriteNull("via");
        json.WriteString("listener", view.Listener);
        json.WriteString("transport", view.Transport);
        json.WriteString("state", view.StateText);
        json.WriteNumber("age_s", Seconds(now - view.StartedAtMs));
        json.WriteNumber("bytes_in", row.BytesIn);
        json.WriteNumber("bytes_out", row.BytesOut);
        json.WriteNumber("idle_s", Seconds(now - view.LastActivityMs));
        if (view.Tls is { } tls)
        {
            json.WriteStartObject("tls");
            json.WriteString("protocol", tls.Protocol);
            json.WriteString("cipher", tls.Cipher);
            json.WriteString("sni", Absent(tls.Sni));
            json.WriteString("client_subject", Absent(tls.ClientSubject));
            json.WriteEndObject();
        }
        else
            json.WriteNull("tls");
        json.WriteEndObject();
    }

    /// <summary>The access log's <c>-</c> (absent) is JSON's null.</summary>
    private static string? Absent(string value) => value == "-" ? null : value;

    private static double Seconds(long milliseconds) => Math.Max(0, milliseconds) / 1000.0;

    /// <summary>One source's row of <c>/sources</c>.</summary>
    private sealed class SourceRow(IPAddress source)
    {
        public IPAddress Source { get; } = source;
        public int Open { get; set; }
        public Dictionary<string, long> Refused { get; } = new(StringComparer.Ordinal);
        public long RefusedTotal { get; set; }
    }

    private static async Task WriteSourcesAsync(HttpContext context)
    {
        if (ReadLimit(context.Request.Query, out var limit) is { } bad)
        {
            await BadRequestAsync(context, bad);
            return;
        }
        var echo = context.RequestServices.GetRequiredService<EchoHostContext>();
        var sources = new Dictionary<IPAddress, SourceRow>();
        SourceRow RowOf(IPAddress key) =>
            sources.TryGetValue(key, out var row) ? row : sources[key] = new SourceRow(key);

        foreach (var view in echo.Connections.Open)
            RowOf(SourceTable.KeyOf(view.ClientAddress)).Open++;
        var complete = true;
        foreach (var answer in await Task.WhenAll(AskRefusalsAsync(echo.Listener), AskRefusalsAsync(echo.Tls?.Listener ?? ActorRefs.Nobody)))
        {
            if (answer is null)
            {
                complete = false;
                continue;
            }
            foreach (var counted in answer.Sources)
            {
                var row = RowOf(counted.Source);
                foreach (var (reason, count) in counted.ByReason)
                {
                    row.Refused[reason] = row.Refused.GetValueOrDefault(reason) + count;
                    row.RefusedTotal += count;
                }
            }
        }
        var ordered = sources.Values
            .OrderByDescending(row => row.Open).ThenByDescending(row => row.RefusedTotal).ThenBy(row => SourceText(row.Source), StringComparer.Ordinal)
            .Take(limit);

        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        json.WriteBoolean("complete", complete);
        json.WriteStartArray("sources");
        foreach (var row in ordered)
        {
            json.WriteStartObject();
            json.WriteString("source", SourceText(row.Source));
            json.WriteNumber("open", row.Open);
            json.WriteStartObject("refused");
            foreach (var (reason, count) in row.Refused.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                json.WriteNumber(reason, count);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await FlushAsync(json, response, context.RequestAborted);
    }

    /// <summary>A listener's refusals, or null if it did not answer within <see cref="ListenerDeadline"/>; an
    /// empty answer for a listener that is not there (TLS off, or not bound yet).</summary>
    private static async Task<SourceRefusals?> AskRefusalsAsync(IActorRef listener)
    {
        if (listener.IsNobody())
            return new SourceRefusals([]);
        try
        {
            return await listener.Ask<SourceRefusals>(GetSourceRefusals.Instance, ListenerDeadline).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    /// <summary>A source as shown: an IPv4 address, or an IPv6 /64.</summary>
    private static string SourceText(IPAddress key) =>
        key.AddressFamily == AddressFamily.InterNetworkV6 ? $"{key}/64" : key.ToString();

    private static async Task FlushAsync(Utf8JsonWriter json, HttpResponse response, CancellationToken ct)
    {
        await json.FlushAsync(ct);
        await response.BodyWriter.FlushAsync(ct);
    }

    // The query: each parameter at most once; anything else is a 400 whose one line names the parameter.

    private static string? ReadLimit(IQueryCollection query, out int limit)
    {
        limit = DefaultLimit;
        if (Single(query, "limit", out var text) is { } bad)
            return bad;
        if (text is null)
            return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit
            ? null
            : $"limit: must be a whole number from 1 to {MaxLimit}, got '{Shown(text)}'";
    }

    private static string? ReadSort(IQueryCollection query, out bool byBytes)
    {
        byBytes = false;
        if (Single(query, "sort", out var text) is { } bad)
            return bad;
        switch (text)
        {
            case null or "age":
                return null;
            case "bytes":
                byBytes = true;
                return null;
            default:
                return $"sort: must be age (oldest first) or bytes (most first), got '{Shown(text)}'";
        }
    }

    private static string? ReadSource(IQueryCollection query, out AddressList? source)
    {
        source = null;
        if (Single(query, "source", out var text) is { } bad)
            return bad;
        if (text is null)
            return null;
        try
        {
            source = AddressList.Parse([text]);
            return null;
        }
        catch (FormatException)
        {
            return $"source: must be an address or a network such as 10.0.0.0/8 or fd00::/8 (host bits zero), got '{Shown(text)}'";
        }
    }

    /// <summary>The parameter's one value in <paramref name="text"/> (null if absent); or why not.</summary>
    private static string? Single(IQueryCollection query, string name, out string? text)
    {
        text = null;
        if (!query.TryGetValue(name, out var values))
            return null;
        if (values.Count != 1)
            return $"{name}: give it once, got it {values.Count} times";
        text = values[0] ?? "";
        return null;
    }

    /// <summary>What the client sent, on one line and short, to quote in the reason.</summary>
    private static string Shown(string text)
    {
        var line = OneLine.Of(text);
        return line.Length <= 64 ? line : line[..64] + "...";
    }

    private static Task BadRequestAsync(HttpContext context, string reason)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason + "\n", context.RequestAborted);
    }
}
