using System.Globalization;

namespace ActorEcho.Compare;

/// <summary>The report: one row per scenario and server with the median of its rounds, ActorEcho's ratio to
/// raw, then each target of the Performance issue with its verdict.</summary>
public static class Table
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Brief(Measurement m) => string.Join("  ", new[]
    {
        m.MessagesPerSecond is { } mps ? $"{mps:N0} msg/s" : null,
        m.MegabytesPerSecond is { } mb ? string.Create(C, $"{mb:N1} MB/s") : null,
        m.P99Micros is { } p99 ? string.Create(C, $"p99 {p99:N0} us") : null,
        m.ConnectedSeconds is { } cs ? string.Create(C, $"all connected in {cs:N2} s") : null,
        m.Seconds is { } s ? string.Create(C, $"all served in {s:N2} s") : null,
        m.ClientErrors is { } errors ? $"{errors} client errors{(m.FirstError is null ? "" : $" (first: {m.FirstError})")}" : null,
        m.Echoing is { } e ? $"{e} still echo" : null,
        m.BytesPerConnection is { } b ? $"{Kb(b)}/conn" : null,
        m.LoadAverage is { } load ? string.Create(C, $"load {load:0.00}") : null,
    }.Where(part => part is not null));

    public static void Print(TextWriter output, IReadOnlyList<string> scenarios, IReadOnlyList<Measurement> results,
        long boundPerConnection, Scenarios settings, IReadOnlyList<string>? servers = null)
    {
        var rows = new List<string[]>
        {
            new[] { "scenario", "server", "msg/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "conn/s", "mem/conn", "cpu us/msg usr+sys", "vs raw" },
        };
        var verdicts = new List<string>();
        foreach (var scenario in scenarios)
        {
            var raw = Median(results, scenario, "raw");
            var actor = Median(results, scenario, "ActorEcho");
            var streams = Median(results, scenario, "akka-streams");
            foreach (var m in (servers ?? ["raw", "ActorEcho"]).Select(name => Median(results, scenario, name)))
            {
                if (m is null)
                    continue;
                rows.Add(new[]
                {
                    scenario, m.Server, Format(m.MessagesPerSecond, "N0"), Format(m.MegabytesPerSecond, "N1"),
                    Format(m.P50Micros, "N0"), Format(m.P99Micros, "N0"), Format(m.P999Micros, "N0"),
                    Format(m.ConnectionsPerSecond, "N0"), m.BytesPerConnection is { } b ? Kb(b) : "-",
                    m.UserMicrosPerMessage is { } u && m.KernelMicrosPerMessage is { } k ? string.Create(C, $"{u:0.0}+{k:0.0}") : "-",
                    m.Server == "raw" || raw is null ? "" : Ratios(scenario, raw, m),
                });
            }
            if (raw is not null && actor is not null)
                verdicts.AddRange(Verdicts(scenario, raw, actor, boundPerConnection, settings));
            if (actor is not null && streams is not null)
                verdicts.Add(AheadOfStreams(scenario, actor, streams));
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            output.WriteLine("| " + string.Join(" | ", row.Select((cell, c) => c is 0 or 1 or 10 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))) + " |");
            if (index == 0)
                output.WriteLine("|" + string.Join("|", widths.Select((w, c) => c is 0 or 1 or 10 ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
        }
        output.WriteLine();
        output.WriteLine("Medians of the rounds (see --rounds); MB/s is the echo's payload, 10^6 bytes; mem/conn is server RSS growth / connections (KB = 1000 B);\ncpu us/msg is the server's CPU time (user + kernel, /proc/PID/stat) per echoed message, warmup included.");
        var loads = results.Select(m => m.LoadAverage).OfType<double>().ToList();
        if (loads.Count > 0)
            output.WriteLine(string.Create(C, $"Machine load (1-minute load average at each measurement): {loads.Min():0.00} to {loads.Max():0.00}, median {loads.Order().ElementAt(loads.Count / 2):0.00}."));
        output.WriteLine();
        output.WriteLine("Targets (ActorEcho against raw in the same run):");
        foreach (var verdict in verdicts)
            output.WriteLine("  " + verdict);
    }

    private static string Ratios(string scenario, Measurement raw, Measurement actor) => scenario switch
    {
        _ when scenario.StartsWith("pingpong", StringComparison.Ordinal) =>
            $"msg/s {Ratio(actor.MessagesPerSecond, raw.MessagesPerSecond)}, p99 {Ratio(actor.P99Micros, raw.P99Micros)}",
        _ when scenario.StartsWith("stream", StringComparison.Ordinal) =>
            $"MB/s {Ratio(actor.MegabytesPerSecond, raw.MegabytesPerSecond)}, p99 {Ratio(actor.P99Micros, raw.P99Micros)}",
        _ when scenario.StartsWith("bulk", StringComparison.Ordinal) =>
            $"MB/s {Ratio(actor.MegabytesPerSecond, raw.MegabytesPerSecond)}, p99 {Ratio(actor.P99Micros, raw.P99Micros)}",
        _ when scenario.StartsWith("storm", StringComparison.Ordinal) =>
            $"time {Ratio(actor.Seconds, raw.Seconds)}, errors {actor.ClientErrors}",
        "idle-10000" =>
            $"mem {Ratio(actor.BytesPerConnection, raw.BytesPerConnection)}, conn/s {Ratio(actor.ConnectionsPerSecond, raw.ConnectionsPerSecond)}",
        _ => $"peak mem {Ratio(actor.BytesPerConnection, raw.BytesPerConnection)}",
    };

    private static IEnumerable<string> Verdicts(string scenario, Measurement raw, Measurement actor, long bound, Scenarios settings)
    {
        static string Mark(bool met) => met ? "MET " : "MISS";
        double R(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : double.NaN;
        switch (scenario)
        {
            case "pingpong-50x64B":
                var mps = R(actor.MessagesPerSecond, raw.MessagesPerSecond);
                var p99 = R(actor.P99Micros, raw.P99Micros);
                yield return string.Create(C, $"{Mark(mps >= 1.0)} pingpong 50 x 64 B: msg/s {mps:0.00}x (>= 1.0x)");
                yield return string.Create(C, $"{Mark(p99 <= 1.5)} pingpong 50 x 64 B: p99 {p99:0.00}x (<= 1.5x)");
                break;
            case "stream-10x256KiB-in-flight":
                var mb = R(actor.MegabytesPerSecond, raw.MegabytesPerSecond);
                yield return string.Create(C, $"{Mark(mb >= 0.9)} stream 10 x 256 KiB in flight: MB/s {mb:0.00}x (>= 0.9x)");
                break;
            case "bulk-10x64KiB-writes":
                var bulk = R(actor.MegabytesPerSecond, raw.MegabytesPerSecond);
                yield return string.Create(C, $"{Mark(bulk >= 0.9)} bulk stream 10 x 64 KiB writes: MB/s {bulk:0.00}x (>= 0.9x)");
                break;
            case "pingpong-1000":
                var p99k = R(actor.P99Micros, raw.P99Micros);
                var mpsk = R(actor.MessagesPerSecond, raw.MessagesPerSecond);
                yield return string.Create(C, $"{Mark(p99k <= 1.5)} pingpong 1000 connections: p99 {p99k:0.00}x (<= 1.5x)");
                yield return string.Create(C, $"{Mark(mpsk >= 0.8)} pingpong 1000 connections: msg/s {mpsk:0.00}x (>= 0.8x)");
                break;
            case "storm-10000" or "storm-18000":
                var limit = scenario == "storm-10000" ? 1.0 : 2.0;
                yield return string.Create(C,
                    $"{Mark(actor.Seconds <= limit && actor.ClientErrors == 0)} {scenario}: all connected in {actor.ConnectedSeconds:0.00} s, all echoed in {actor.Seconds:0.00} s, {actor.ClientErrors} client errors (<= {limit:0} s, none; raw {raw.Seconds:0.00} s, {raw.ClientErrors} errors)");
                break;
            case "idle-10000":
                var n = settings.IdleConnections;
                // The time target is the storm's (all at once); here 512 connects are in flight at a time.
                yield return string.Create(C, $"INFO {n} connections, 512 connecting at a time, all accepted and echoing in {actor.Seconds:0.00} s (raw {raw.Seconds:0.00} s)");
                yield return $"{Mark(actor.BytesPerConnection <= 16_000)} {n} idle connections: {Kb(actor.BytesPerConnection ?? 0)} server memory each (<= 16 KB; raw {Kb(raw.BytesPerConnection ?? 0)})";
                yield return $"{Mark(actor.Echoing == n)} {n} idle connections: {actor.Echoing} still echo after a {settings.IdleHold.TotalSeconds:0} s hold";
                break;
            case "slow-reader-10":
                var clients = settings.SlowReaders;
                var allowed = (double)bound * clients;
                yield return string.Create(C,
                    $"{Mark(actor.PeakBytes <= allowed && actor.Echoing == clients)} {clients} clients that stop reading: server peak RSS growth {Mb(actor.PeakBytes ?? 0)} (watermark + frame x {clients} = {Mb(allowed)}; each client pushed {Mb(actor.SentBytesPerConnection ?? 0)} into the kernel and server), {actor.Echoing}/{clients} got every byte back");
                break;
        }
    }

    /// <summary>"Ahead of Akka.Streams everywhere": ActorEcho against the Akka.Streams peer on each scenario's main figure.</summary>
    private static string AheadOfStreams(string scenario, Measurement actor, Measurement streams)
    {
        static string Mark(bool met) => met ? "MET " : "MISS";
        var (figure, a, s, higherIsBetter) = scenario switch
        {
            _ when scenario.StartsWith("pingpong", StringComparison.Ordinal) => ("msg/s", actor.MessagesPerSecond, streams.MessagesPerSecond, true),
            _ when scenario.StartsWith("stream", StringComparison.Ordinal) || scenario.StartsWith("bulk", StringComparison.Ordinal)
                => ("MB/s", actor.MegabytesPerSecond, streams.MegabytesPerSecond, true),
            _ when scenario.StartsWith("storm", StringComparison.Ordinal) => ("seconds to all echoed", actor.Seconds, streams.Seconds, false),
            "idle-10000" => ("memory per connection", actor.BytesPerConnection, streams.BytesPerConnection, false),
            _ => ("peak memory", actor.PeakBytes, streams.PeakBytes, false),
        };
        var met = a is { } x && s is { } y && (higherIsBetter ? x >= y : x <= y);
        var ratio = a is { } x2 && s is { } y2 && y2 > 0 ? (x2 / y2).ToString("0.00", C) + "x" : "-";
        return $"{Mark(met)} {scenario}: ahead of Akka.Streams on {figure} (ActorEcho/Akka.Streams {ratio})";
    }

    /// <summary>The median of each figure over the rounds of one scenario and server.</summary>
    private static Measurement? Median(IReadOnlyList<Measurement> results, string scenario, string server)
    {
        var rounds = results.Where(m => m.Scenario == scenario && m.Server == server).ToList();
        if (rounds.Count == 0)
            return null;
        double? Of(Func<Measurement, double?> figure)
        {
            var values = rounds.Select(figure).OfType<double>().Order().ToList();
            if (values.Count == 0)
                return null;
            return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
        }
        return new Measurement
        {
            Scenario = scenario,
            Server = server,
            MessagesPerSecond = Of(m => m.MessagesPerSecond),
            MegabytesPerSecond = Of(m => m.MegabytesPerSecond),
            P50Micros = Of(m => m.P50Micros),
            P99Micros = Of(m => m.P99Micros),
            P999Micros = Of(m => m.P999Micros),
            ConnectionsPerSecond = Of(m => m.ConnectionsPerSecond),
            BytesPerConnection = Of(m => m.BytesPerConnection),
            Seconds = Of(m => m.Seconds),
            // The worst round counts for correctness: every connection must echo in every round.
            Echoing = rounds.Min(m => m.Echoing),
            PeakBytes = Of(m => m.PeakBytes),
            SentBytesPerConnection = Of(m => m.SentBytesPerConnection),
            ConnectedSeconds = Of(m => m.ConnectedSeconds),
            // As with Echoing: the worst round counts.
            ClientErrors = rounds.Max(m => m.ClientErrors),
            FirstError = rounds.Select(m => m.FirstError).FirstOrDefault(e => e is not null),
            UserMicrosPerMessage = Of(m => m.UserMicrosPerMessage),
            KernelMicrosPerMessage = Of(m => m.KernelMicrosPerMessage),
        };
    }

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, C) : "-";

    private static string Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 ? (v / b).ToString("0.00", C) + "x" : "-";

    private static string Kb(double bytes) => (bytes / 1000).ToString("N1", C) + " KB";

    private static string Mb(double bytes) => (bytes / 1e6).ToString("N1", C) + " MB";
}
