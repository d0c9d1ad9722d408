using System.Globalization;

namespace ActorEcho.Compare;

/// <summary>The report: one row per scenario and server with the median of its rounds and its ratios to raw and to
/// the Akka.IO floor (the storms and the floods in tables of their own), then each target with its verdict.</summary>
public static class Table
{
    private const string Raw = "raw";
    private const string Actor = "ActorEcho";
    private const string Floor = "akka-io-floor";
    private const string Streams = "akka-streams";
    private const string Before = "ActorEcho-before";
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Brief(Measurement m) => string.Join("  ", new[]
    {
        m.MessagesPerSecond is { } mps ? $"{mps:N0} msg/s" : null,
        m.MegabytesPerSecond is { } mb ? string.Create(C, $"{mb:N1} MB/s") : null,
        m.P99Micros is { } p99 ? string.Create(C, $"p99 {p99:N0} us") : null,
        m.ConnectedSeconds is { } cs ? string.Create(C, $"all connected in {cs:N2} s") : null,
        m.Seconds is { } s ? string.Create(C, $"all served in {s:N2} s") : null,
        m.TotalSeconds is { } total ? string.Create(C, $"cycle {total:N2} s") : null,
        m.ServerCpuSeconds is { } cpu ? string.Create(C, $"server CPU {cpu:N2} s") : null,
        m.ClientCpuSeconds is { } client ? string.Create(C, $"client CPU {client:N2} s") : null,
        m.ClientErrors is > 0 || m.Scenario.StartsWith("storm", StringComparison.Ordinal)
            ? $"{m.ClientErrors} client errors{(m.FirstError is null ? "" : $" (first: {m.FirstError})")}" : null,
        m.Mismatches is > 0 ? $"{m.Mismatches} WRONG BYTES" : null,
        m.Echoing is { } e ? $"{e} still echo" : null,
        m.BytesPerConnection is { } b ? $"{Kb(b)}/conn" : null,
        m.Floods is { } floods ? string.Join("; ", floods.Select((f, i) =>
            $"flood {i + 1}: peak {Mb(f.PeakBytes)}, after {MbOrDash(f.BytesAfter)}, {f.Complete}/{f.Clients} complete, server {f.ServerState}")) : null,
        m.PingP99Micros is { } pp ? string.Create(C, $"ping p99 {pp:N0} us, max {m.PingMaxMicros:N0} us, {m.PingErrors} errors") : null,
        m.OutOfMemoryLines is { } oom ? $"{oom} OutOfMemory lines" : null,
        m.CgroupMaxUsageBytes is { } usage ? $"cgroup max {Mb(usage)}, failcnt {m.CgroupFailCount}" : null,
        m.LoadAverage is { } load ? string.Create(C, $"load {load:0.00}") : null,
    }.Where(part => part is not null));

    public static void Print(TextWriter output, IReadOnlyList<string> scenarios, IReadOnlyList<Measurement> results,
        long boundPerConnection, Scenarios settings, FloodScenario floods, IReadOnlyList<string> servers, IReadOnlyList<string> notes)
    {
        var main = new List<string[]>
        {
            new[] { "scenario", "server", "msg/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "conn/s", "mem/conn", "cpu us/msg usr+sys", "load", "vs raw", "vs floor" },
        };
        var storms = new List<string[]>
        {
            new[] { "scenario", "server", "connected s", "echoed s", "cycle s", "server cpu s", "client cpu s", "failed", "mem/conn", "load", "vs raw", "vs floor" },
        };
        var floodRows = new List<string[]>
        {
            new[] { "scenario", "server", "flood", "RSS before", "peak RSS", "RSS after", "complete", "wrong", "errors", "secs", "server", "ping p99 us", "ping max us", "ping errors", "OOM lines", "cgroup max", "failcnt", "load" },
        };
        var verdicts = new List<string>();
        foreach (var scenario in scenarios)
        {
            var raw = Median(results, scenario, Raw);
            var floor = Median(results, scenario, Floor);
            var actor = Median(results, scenario, Actor);
            var streams = Median(results, scenario, Streams);
            foreach (var m in servers.Select(name => Median(results, scenario, name)).OfType<Measurement>())
            {
                var vsRaw = m.Server == Raw || raw is null ? "" : Ratios(scenario, raw, m);
                var vsFloor = m.Server is Raw or Floor || floor is null ? "" : Ratios(scenario, floor, m);
                var load = Format(m.LoadAverage, "0.00");
                if (FloodScenario.IsFlood(scenario))
                    floodRows.AddRange(FloodRows(scenario, m));
                else if (scenario.StartsWith("storm", StringComparison.Ordinal))
                    storms.Add(new[]
                    {
                        scenario, m.Server, Format(m.ConnectedSeconds, "0.00"), Format(m.Seconds, "0.00"), Format(m.TotalSeconds, "0.00"),
                        Format(m.ServerCpuSeconds, "0.00"), Format(m.ClientCpuSeconds, "0.00"), Format(m.ClientErrors, "N0"),
                        m.BytesPerConnection is { } b ? Kb(b) : "-", load, vsRaw, vsFloor,
                    });
                else
                    main.Add(new[]
                    {
                        scenario, m.Server, Format(m.MessagesPerSecond, "N0"), Format(m.MegabytesPerSecond, "N1"),
                        Format(m.P50Micros, "N0"), Format(m.P99Micros, "N0"), Format(m.P999Micros, "N0"),
                        Format(m.ConnectionsPerSecond, "N0"), m.BytesPerConnection is { } b ? Kb(b) : "-",
                        m.UserMicrosPerMessage is { } u && m.KernelMicrosPerMessage is { } k ? string.Create(C, $"{u:0.0}+{k:0.0}") : "-",
                        load, vsRaw, vsFloor,
                    });
            }
            if (raw is not null && actor is not null)
                verdicts.AddRange(Verdicts(scenario, raw, actor, boundPerConnection, settings));
            if (floor is not null && actor is not null)
                verdicts.AddRange(FloorVerdicts(scenario, raw, floor, actor));
            if (actor is not null && FloodScenario.IsFlood(scenario))
                verdicts.AddRange(FloodVerdicts(scenario, actor));
            if (actor is not null && streams is not null && !FloodScenario.IsFlood(scenario))
                verdicts.Add(AheadOfStreams(scenario, actor, streams));
            if (actor is not null && Median(results, scenario, Before) is { } before && !FloodScenario.IsFlood(scenario))
                verdicts.Add($"INFO {scenario}: ActorEcho against ActorEcho-before in the same run: {Ratios(scenario, before, actor)}");
        }

        if (main.Count > 1)
        {
            WriteTable(output, main, leftColumns: 2, rightTextColumns: 2);
            output.WriteLine();
            output.WriteLine("Medians of the rounds (see --rounds); MB/s is the echo's payload, 10^6 bytes; mem/conn is server RSS growth / connections (KB = 1000 B);\n" +
                             "cpu us/msg is the server's CPU time (user + kernel, /proc/PID/stat) per echoed message, warmup included; load is the 1-minute load average\n" +
                             "at the end of each measurement (median). Pingpong, stream and bulk loads: bench/echoload (C, epoll, every byte checked; pingpong spins, --busy-poll).");
            output.WriteLine();
        }
        if (storms.Count > 1)
        {
            WriteTable(output, storms, leftColumns: 2, rightTextColumns: 2);
            output.WriteLine();
            output.WriteLine("Storms (echoload --mode=storm): every client connects at once, echoes 16 B, all are held 1 s, each echoes 16 B again, all close.\n" +
                             "connected: until the last connect completed; echoed: until every first echo was back; cycle: all of it; server cpu: user + kernel\n" +
                             "for the cycle, its closes included; failed: clients that did not complete (nothing is retried).");
            output.WriteLine();
        }
        if (floodRows.Count > 1)
        {
            WriteTable(output, floodRows, leftColumns: 2, rightTextColumns: 0);
            output.WriteLine();
            output.WriteLine(string.Create(C,
                $"Floods (first round only): {floods.Clients:N0} clients x {floods.BytesPerClient:N0} B each, not reading for {floods.NotReading.TotalSeconds:0} s, then reading all back"));
            output.WriteLine(string.Create(C,
                $"(every byte checked), twice in a row against one server; RSS after: {floods.Afterwards.TotalSeconds:0} s after the flood completed (MB = 10^6 B)."));
            output.WriteLine("ping: one client doing 64 B ping-pong through both floods (p99, worst wait, errors); OOM lines: server output lines with");
            output.WriteLine($"\"OutOfMemory\" or \"Out of memory\"; cgroup max and failcnt: the {FloodScenario.ContainerLimitBytes / 1024 / 1024} MiB memory cgroup's memory.max_usage_in_bytes and memory.failcnt\n" +
                             "(what the cgroup was charged: shared library pages first cached by another cgroup count in RSS, not here).");
            output.WriteLine();
        }
        var loads = results.Select(m => m.LoadAverage).OfType<double>().ToList();
        if (loads.Count > 0)
            output.WriteLine(string.Create(C, $"Machine load (1-minute load average at each measurement): {loads.Min():0.00} to {loads.Max():0.00}, median {loads.Order().ElementAt(loads.Count / 2):0.00}."));
        foreach (var note in notes)
            output.WriteLine(note);
        output.WriteLine();
        output.WriteLine("Targets (ActorEcho against raw and the Akka.IO floor in the same run):");
        foreach (var verdict in verdicts)
            output.WriteLine("  " + verdict);
    }

    private static IEnumerable<string[]> FloodRows(string scenario, Measurement m)
    {
        var floods = m.Floods ?? [];
        for (var i = 0; i < Math.Max(1, floods.Count); i++)
        {
            var f = i < floods.Count ? floods[i] : null;
            // The ping, OOM and cgroup figures cover the whole run: shown once, on the first flood's row.
            var first = i == 0;
            yield return new[]
            {
                scenario, m.Server, f is null ? "none" : $"{i + 1}", first ? MbOrDash((long?)m.BytesBefore) : "",
                f is null ? "-" : Mb(f.PeakBytes), f is null ? "-" : MbOrDash(f.BytesAfter),
                f is null ? "-" : $"{f.Complete}/{f.Clients}", f is null ? "-" : $"{f.Mismatches}", f is null ? "-" : $"{f.Errors}",
                f is null ? "-" : f.Seconds.ToString("0.0", C), f?.ServerState ?? "-",
                first ? Format(m.PingP99Micros, "N0") : "", first ? Format(m.PingMaxMicros, "N0") : "", first ? Format(m.PingErrors, "N0") : "",
                first ? Format(m.OutOfMemoryLines, "N0") : "", !first ? "" : m.CgroupMaxUsageBytes is { } usage ? Mb(usage) : "-",
                first ? Format(m.CgroupFailCount, "N0") : "", first ? Format(m.LoadAverage, "0.00") : "",
            };
        }
    }

    /// <summary>Markdown table: the first <paramref name="leftColumns"/> and the last <paramref name="rightTextColumns"/>
    /// columns are text (left-aligned), the others figures.</summary>
    private static void WriteTable(TextWriter output, List<string[]> rows, int leftColumns, int rightTextColumns)
    {
        var columns = rows[0].Length;
        bool IsText(int c) => c < leftColumns || c >= columns - rightTextColumns;
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            output.WriteLine("| " + string.Join(" | ", row.Select((cell, c) => IsText(c) ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))) + " |");
            if (index == 0)
                output.WriteLine("|" + string.Join("|", widths.Select((w, c) => IsText(c) ? new string('-', w + 2) : new string('-', w + 1) + ":")) + "|");
        }
    }

    private static string Ratios(string scenario, Measurement baseline, Measurement m) => scenario switch
    {
        _ when scenario.StartsWith("pingpong", StringComparison.Ordinal) =>
            $"msg/s {Ratio(m.MessagesPerSecond, baseline.MessagesPerSecond)}, p99 {Ratio(m.P99Micros, baseline.P99Micros)}",
        _ when scenario.StartsWith("stream", StringComparison.Ordinal) || scenario.StartsWith("bulk", StringComparison.Ordinal) =>
            $"MB/s {Ratio(m.MegabytesPerSecond, baseline.MegabytesPerSecond)}",
        _ when scenario.StartsWith("storm", StringComparison.Ordinal) =>
            $"connected {Ratio(m.ConnectedSeconds, baseline.ConnectedSeconds)}, echoed {Ratio(m.Seconds, baseline.Seconds)}, cpu {Ratio(m.ServerCpuSeconds, baseline.ServerCpuSeconds)}",
        "idle-10000" =>
            $"mem {Ratio(m.BytesPerConnection, baseline.BytesPerConnection)}, conn/s {Ratio(m.ConnectionsPerSecond, baseline.ConnectionsPerSecond)}",
        _ => $"peak mem {Ratio(m.BytesPerConnection, baseline.BytesPerConnection)}",
    };

    private static string Mark(bool met) => met ? "MET " : "MISS";

    private static double R(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : double.NaN;

    private static IEnumerable<string> Verdicts(string scenario, Measurement raw, Measurement actor, long bound, Scenarios settings)
    {
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
                if (scenario == "storm-10000")
                    yield return string.Create(C,
                        $"{Mark(raw.ConnectedSeconds <= 0.5)} storm-10000 client outruns the servers: raw echo all connected in {raw.ConnectedSeconds:0.00} s (<= 0.5 s), client CPU {raw.ClientCpuSeconds:0.00} s");
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

    /// <summary>ActorEcho against the Akka.IO floor (one trivial actor per connection) in the same run.</summary>
    private static IEnumerable<string> FloorVerdicts(string scenario, Measurement? raw, Measurement floor, Measurement actor)
    {
        switch (scenario)
        {
            case "storm-10000":
                var connected = R(actor.ConnectedSeconds, floor.ConnectedSeconds);
                var cpu = R(actor.ServerCpuSeconds, floor.ServerCpuSeconds);
                yield return string.Create(C,
                    $"{Mark(connected <= 1.15)} storm-10000 against the Akka.IO floor: all connected {connected:0.00}x ({actor.ConnectedSeconds:0.00} s vs {floor.ConnectedSeconds:0.00} s; <= 1.15x)");
                yield return string.Create(C,
                    $"{Mark(cpu <= 1.15)} storm-10000 against the Akka.IO floor: server CPU for the cycle {cpu:0.00}x ({actor.ServerCpuSeconds:0.00} s vs {floor.ServerCpuSeconds:0.00} s; <= 1.15x)");
                break;
            case "pingpong-1000":
                var mpsRaw = raw is null ? double.NaN : R(actor.MessagesPerSecond, raw.MessagesPerSecond);
                var p99Raw = raw is null ? double.NaN : R(actor.P99Micros, raw.P99Micros);
                var mpsFloor = R(actor.MessagesPerSecond, floor.MessagesPerSecond);
                var p99Floor = R(actor.P99Micros, floor.P99Micros);
                var met = (mpsRaw >= 0.8 && p99Raw <= 1.5) || (mpsFloor >= 0.9 && p99Floor <= 1.1);
                yield return string.Create(C,
                    $"{Mark(met)} pingpong 1000 connections: msg/s {mpsRaw:0.00}x raw, p99 {p99Raw:0.00}x raw (>= 0.8x, <= 1.5x), or within 10% of the Akka.IO floor: msg/s {mpsFloor:0.00}x, p99 {p99Floor:0.00}x");
                break;
        }
    }

    /// <summary>The flood of slow readers, in and out of a 512 MiB memory cgroup: memory stays bounded.</summary>
    private static IEnumerable<string> FloodVerdicts(string scenario, Measurement actor)
    {
        var floods = actor.Floods ?? [];
        var survived = floods.Count == 2 && floods.All(f => f.ServerState == "alive");
        var everyByte = floods.Count == 2 && floods.All(f => f.Complete == f.Clients && f.Mismatches == 0 && f.Errors == 0);
        yield return $"{Mark(survived && everyByte)} {scenario}: two floods, server {string.Join(", then ", floods.Select(f => f.ServerState))}, " +
                     $"{string.Join(" and ", floods.Select(f => $"{f.Complete}/{f.Clients}"))} clients got every byte back ({floods.Sum(f => f.Mismatches)} wrong, {floods.Sum(f => f.Errors)} errors)";
        yield return $"{Mark(actor.OutOfMemoryLines == 0)} {scenario}: {actor.OutOfMemoryLines} OutOfMemory lines in the server's output";
        yield return string.Create(C,
            $"{Mark(actor.PingErrors == 0 && actor.PingMessages > 0 && actor.PingP99Micros < 2_000_000)} {scenario}: the ping-pong client throughout: p99 {actor.PingP99Micros / 1000:N1} ms (< 2 s), worst {actor.PingMaxMicros / 1000:N1} ms, {actor.PingMessages:N0} echoes, {actor.PingErrors} errors");
        if (floods.Count == 0)
            yield break;
        if (scenario == FloodScenario.Name)
            yield return $"{Mark(floods.Max(f => f.PeakBytes) <= 512_000_000)} {scenario}: peak RSS {string.Join(", then ", floods.Select(f => Mb(f.PeakBytes)))} (<= 512 MB)";
        // 5% for the noise between two identical floods (GC timing, the 20 ms RSS sampling).
        if (floods.Count == 2)
            yield return $"{Mark(floods[1].PeakBytes <= floods[0].PeakBytes * 1.05)} {scenario}: the second flood climbs no higher than the first ({Mb(floods[1].PeakBytes)} vs {Mb(floods[0].PeakBytes)}; within 5%)";
        yield return $"INFO {scenario}: RSS {MbOrDash((long?)actor.BytesBefore)} before, {string.Join(", then ", floods.Select(f => MbOrDash(f.BytesAfter)))} after each flood";
    }

    /// <summary>"Ahead of Akka.Streams everywhere": ActorEcho against the Akka.Streams peer on each scenario's main figure.</summary>
    private static string AheadOfStreams(string scenario, Measurement actor, Measurement streams)
    {
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
        // The floods run once: their figures are that run's.
        var last = rounds[^1];
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
            TotalSeconds = Of(m => m.TotalSeconds),
            ServerCpuSeconds = Of(m => m.ServerCpuSeconds),
            ClientCpuSeconds = Of(m => m.ClientCpuSeconds),
            // As with Echoing: the worst round counts.
            ClientErrors = rounds.Max(m => m.ClientErrors),
            Mismatches = rounds.Max(m => m.Mismatches),
            FirstError = rounds.Select(m => m.FirstError).FirstOrDefault(e => e is not null),
            UserMicrosPerMessage = Of(m => m.UserMicrosPerMessage),
            KernelMicrosPerMessage = Of(m => m.KernelMicrosPerMessage),
            LoadAverage = Of(m => m.LoadAverage),
            BytesBefore = last.BytesBefore,
            Floods = last.Floods,
            PingMessages = last.PingMessages,
            PingP99Micros = last.PingP99Micros,
            PingMaxMicros = last.PingMaxMicros,
            PingErrors = last.PingErrors,
            OutOfMemoryLines = last.OutOfMemoryLines,
            CgroupMaxUsageBytes = last.CgroupMaxUsageBytes,
            CgroupFailCount = last.CgroupFailCount,
        };
    }

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, C) : "-";

    private static string Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 ? (v / b).ToString("0.00", C) + "x" : "-";

    private static string Kb(double bytes) => (bytes / 1000).ToString("N1", C) + " KB";

    private static string Mb(double bytes) => (bytes / 1e6).ToString("N1", C) + " MB";

    private static string MbOrDash(long? bytes) => bytes is { } b ? Mb(b) : "-";
}
