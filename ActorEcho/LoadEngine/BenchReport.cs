using System.Globalization;
using System.Text.Json;

namespace ActorEcho.LoadEngine;

/// <summary>The two forms of a <see cref="BenchResult"/>: text for people, one JSON object for scripts.</summary>
public static class BenchReport
{
    public static void Write(TextWriter output, BenchResult result, string resolvedTarget)
    {
        var c = CultureInfo.InvariantCulture;
        var window = result.Window is { } w ? $", window {Bytes(w)}" : "";
        var warmup = AfterWarmup(result.WarmupSeconds);
        var what = result.Mode == BenchMode.Stream ? "messages echoed" : "round trips";

        output.WriteLine(string.Create(c,
            $"bench {result.Target} ({resolvedTarget}): {result.Mode.Name()}, {result.Connections} connection(s), {Bytes(result.MessageSize)} messages{window}, {result.DurationSeconds:0.###} s measured{warmup}{(result.Interrupted ? " (interrupted)" : "")}"));
        output.WriteLine(string.Create(c,
            $"  connect     {result.Connections} connection(s) in {result.ConnectSeconds * 1000:0.0} ms ({result.ConnectionsPerSecond:N0} connections/s)"));
        output.WriteLine(string.Create(c,
            $"  messages    {result.Messages:N0} {what}, {result.MessagesPerSecond:N0} msg/s"));
        output.WriteLine(string.Create(c,
            $"  throughput  sent {result.SentMegabytesPerSecond:N2} MB/s (client to server), received {result.ReceivedMegabytesPerSecond:N2} MB/s (echo); payload, MB = 10^6 bytes"));
        WriteLatencyAndErrors(output, result.LatencyMicroseconds);
    }

    /// <summary>The heading's " after N s warmup", or nothing without a warmup (TCP and UDP alike).</summary>
    internal static string AfterWarmup(double seconds) =>
        seconds > 0 ? string.Create(CultureInfo.InvariantCulture, $" after {seconds:0.###} s warmup") : "";

    /// <summary>The last two lines of every bench's text (TCP here, UDP in <see cref="UdpBenchResult.Write"/>).</summary>
    internal static void WriteLatencyAndErrors(TextWriter output, LatencySummary latency)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  latency us  p50 {latency.P50:0.0}  p90 {latency.P90:0.0}  p99 {latency.P99:0.0}  p99.9 {latency.P999:0.0}  max {latency.Max:0.0}  mean {latency.Mean:0.0}  ({latency.Count:N0} samples)"));
        output.WriteLine("  errors      0 (every echoed byte checked)");
    }

    /// <summary>The result as one line of JSON (camelCase names, the mode by its name).</summary>
    public static void WriteJson(TextWriter output, BenchResult result) =>
        output.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));

    /// <summary>A byte count as people read it: 64 B, 16 KiB, 1 MiB, 1500 B.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} B",
    };
}
