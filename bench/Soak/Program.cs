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
var result = await ChurnDriver.RunAsync(server.LocalEndpoint, cycles, concurrency, payload, deadline.Token,
    done => Console.WriteLine($"soak: {done} cycles, {done / clock.Elapsed.TotalSeconds:F0}/s, RSS {Rss() / 1_048_576} MiB"));
var stats = await AwaitIdleAsync(server.Listener, CancellationToken.None);
// Akka.IO disposes sockets as its connection actors stop, a moment after the listener counts them closed.
var fdsAfter = await SettledFdsAsync(fdsBefore);
var rssAfter = Rss();

Console.WriteLine($"soak: {result.Cycles} cycles in {result.Elapsed.TotalSeconds:F1} s ({result.CyclesPerSecond:F0}/s), " +
                  $"{result.Failures} failed{(result.FirstFailure is null ? "" : $" (first: {result.FirstFailure})")}");
Console.WriteLine($"soak: listener: active {stats.Active}, accepted {stats.Accepted}, rejected {stats.Rejected}, closed {stats.Closed}");
Console.WriteLine($"soak: descriptors {Show(fdsBefore)} before, {Show(fdsAfter)} after; RSS {rssBefore / 1_048_576} MiB before, {rssAfter / 1_048_576} MiB after");

var clean = result.Failures == 0 && result.Cycles == cycles && stats.Active == 0
            && (fdsBefore is null || fdsAfter <= fdsBefore + FdTolerance);
Console.WriteLine(clean ? "soak: OK" : deadline.IsCancellationRequested ? "soak: FAILED (time limit reached)" : "soak: FAILED");
return clean ? 0 : 1;

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
