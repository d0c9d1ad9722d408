using System.Diagnostics;
using System.Globalization;
using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Server;
using Akka.Actor;

// Connection-churn soak: starts an echo server on 127.0.0.1 (free port) in this process, runs CYCLES
// connect/echo/half-close cycles against it from CONCURRENCY clients, and checks that nothing was left behind:
// no connection actor (listener stats), no descriptor (/proc/self/fd), bounded memory. Stops by itself after
// the cycles or MAX-SECONDS, whichever comes first. Exit code 0 = clean, 1 = failures or leaks.
var cycles = Option("--cycles", 100_000);
var concurrency = Option("--concurrency", 16);
var payload = Option("--payload", 64);
var maxSeconds = Option("--max-seconds", 600);
// --seconds N: churn for N seconds instead of a cycle count, one sample a minute (RSS, descriptors, GC counts, heap),
// and judge them flat: the last third of the samples against the first (see Flat below).
var seconds = Option("--seconds", 0);
var samples = new List<Sample>();
const int FdTolerance = 16;

// One INFO line per accepted connection would dominate the run (and its output).
var config = Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(ConfigLoader.Defaults);
var settings = EchoSettings.Create(config) with { BindAddress = "127.0.0.1:0", IdleTimeout = TimeSpan.FromSeconds(30) };
await using var server = await EchoServer.StartAsync(config, settings, new IPEndPoint(IPAddress.Loopback, 0));
Console.WriteLine($"soak: server on {server.LocalEndpoint}; {cycles} cycles, {concurrency} clients at a time, " +
                  $"{payload}-byte payload, at most {maxSeconds} s");

using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
// Warm-up, so that the baseline includes the runtime's own descriptors and memory.
await ChurnDriver.RunAsync(server.LocalEndpoint, 200, concurrency, payload, deadline.Token);
await AwaitIdleAsync(server.Listener, deadline.Token);
var fdsBefore = ChurnDriver.OpenFileDescriptors();
var rssBefore = Rss();

var clock = Stopwatch.StartNew();
var timed = seconds > 0;
var result = timed
    ? await RunForAsync(server.LocalEndpoint, TimeSpan.FromSeconds(seconds), concurrency, payload, deadline.Token)
    : await ChurnDriver.RunAsync(server.LocalEndpoint, cycles, concurrency, payload, deadline.Token,
        done => Console.WriteLine($"soak: {done} cycles, {done / clock.Elapsed.TotalSeconds:F0}/s, RSS {Rss() / 1_048_576} MiB"));
var stats = await AwaitIdleAsync(server.Listener, CancellationToken.None);
// Akka.IO disposes sockets as its connection actors stop, a moment after the listener counts them closed.
var fdsAfter = await SettledFdsAsync(fdsBefore);
var rssAfter = Rss();

Console.WriteLine($"soak: {result.Cycles} cycles in {result.Elapsed.TotalSeconds:F1} s ({result.CyclesPerSecond:F0}/s), " +
                  $"{result.Failures} failed{(result.FirstFailure is null ? "" : $" (first: {result.FirstFailure})")}");
Console.WriteLine($"soak: listener: active {stats.Active}, accepted {stats.Accepted}, rejected {stats.Rejected}, closed {stats.Closed}");
Console.WriteLine($"soak: descriptors {Show(fdsBefore)} before, {Show(fdsAfter)} after; RSS {rssBefore / 1_048_576} MiB before, {rssAfter / 1_048_576} MiB after");

var flat = !timed || Flat(samples);
var clean = result.Failures == 0 && (timed || result.Cycles == cycles) && stats.Active == 0
            && (fdsBefore is null || fdsAfter <= fdsBefore + FdTolerance) && flat;
Console.WriteLine(clean ? "soak: OK" : deadline.IsCancellationRequested ? "soak: FAILED (time limit reached)" : "soak: FAILED");
return clean ? 0 : 1;

// Batches of churn until the time is up, a sample after each minute.
async Task<ChurnResult> RunForAsync(IPEndPoint endpoint, TimeSpan length, int clients, int size, CancellationToken ct)
{
    var started = Stopwatch.StartNew();
    int total = 0, failures = 0;
    string? first = null;
    var lastGc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
    while (started.Elapsed < length && !ct.IsCancellationRequested)
    {
        var minute = Stopwatch.StartNew();
        var cyclesThisMinute = 0;
        while (minute.Elapsed < TimeSpan.FromMinutes(1) && started.Elapsed < length && !ct.IsCancellationRequested)
        {
            var batch = await ChurnDriver.RunAsync(endpoint, 2_000, clients, size, ct);
            cyclesThisMinute += batch.Cycles;
            failures += batch.Failures;
            first ??= batch.FirstFailure;
        }
        total += cyclesThisMinute;
        var gc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var sample = new Sample(samples.Count + 1, cyclesThisMinute / minute.Elapsed.TotalSeconds, Rss(), ChurnDriver.OpenFileDescriptors(),
            gc.Item1 - lastGc.Item1, gc.Item2 - lastGc.Item2, gc.Item3 - lastGc.Item3, GC.GetTotalMemory(false))
        {
            Minutes = minute.Elapsed.TotalMinutes,
        };
        lastGc = gc;
        samples.Add(sample);
        Console.WriteLine($"soak: minute {sample.Minute}: {sample.CyclesPerSecond:F0} cycles/s, RSS {sample.Rss / 1_048_576} MiB, " +
                          $"descriptors {Show(sample.Fds)}, GC gen0/1/2 {sample.Gen0}/{sample.Gen1}/{sample.Gen2}, heap {sample.Heap / 1_048_576} MiB");
    }
    return new ChurnResult(total, failures, first, started.Elapsed);
}

// Flat: over the last third of the minutes, against the first third (the warm-up is before both), RSS at most 25 %
// higher, descriptors within the tolerance, gen2 collections per minute at most twice as many plus 2, and the cycles
// per second at least half (a leak that slows the server shows there too).
bool Flat(List<Sample> all)
{
    if (all.Count < 3)
        return true;
    var third = all.Count / 3;
    var early = all.Take(third).ToList();
    var late = all.Skip(all.Count - third).ToList();
    var rss = late.Max(x => x.Rss) <= 1.25 * early.Max(x => x.Rss);
    var fds = early[0].Fds is null || late.Max(x => x.Fds!.Value) <= early.Max(x => x.Fds!.Value) + FdTolerance;
    var gen2 = late.Average(x => x.Gen2 / x.Minutes) <= 2 * early.Average(x => x.Gen2 / x.Minutes) + 2;
    var pace = late.Average(x => x.CyclesPerSecond) >= 0.5 * early.Average(x => x.CyclesPerSecond);
    Console.WriteLine($"soak: flat? RSS {rss}, descriptors {fds}, gen2 per minute {gen2}, cycles per second {pace} " +
                      $"(first {third} minute(s) against the last {third})");
    return rss && fds && gen2 && pace;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static long Rss()
{
    using var self = Process.GetCurrentProcess();
    return self.WorkingSet64;
}

static string Show(int? fds) => fds?.ToString(CultureInfo.InvariantCulture) ?? "n/a";

static async Task<EchoProtocol.ListenerStats> AwaitIdleAsync(IActorRef listener, CancellationToken ct)
{
    // Polled: the listener has no "tell me when idle" message, and this runs only twice per soak.
    for (var attempt = 0; ; attempt++)
    {
        var stats = await listener.Ask<EchoProtocol.ListenerStats>(EchoProtocol.GetStats.Instance, TimeSpan.FromSeconds(5));
        if (stats.Active == 0 || attempt == 200 || ct.IsCancellationRequested)
            return stats;
        await Task.Delay(50, CancellationToken.None);
    }
}

static async Task<int?> SettledFdsAsync(int? baseline)
{
    var fds = ChurnDriver.OpenFileDescriptors();
    for (var attempt = 0; fds > baseline + FdTolerance && attempt < 100; attempt++)
    {
        await Task.Delay(50);
        fds = ChurnDriver.OpenFileDescriptors();
    }
    return fds;
}

/// <summary>One minute of a timed soak.</summary>
internal sealed record Sample(int Minute, double CyclesPerSecond, long Rss, int? Fds, int Gen0, int Gen1, int Gen2, long Heap)
{
    /// <summary>The sample's length in minutes (the last one may be short).</summary>
    public double Minutes { get; init; } = 1;
}
