// bench/models/run.sh's driver. Starts each model of docs/models.md in turn (a fresh server process per scenario,
// pinned to --server-cpu if given), loads it the same way, and prints one markdown table, a row per model as soon
// as that model is done. Pingpong and streaming run ActorEcho's own `bench` command (which checks every byte);
// the idle and slow-reader loads are bench/Compare's; the silent-client probe is here. A scenario a model cannot
// do by design is "n/a (why)"; every other one is bounded in time, and a failure is one line in its cell.
//
// Usage: Driver --actor-echo DLL --echoload PATH [--actor-config FILE] --model NAME=DLL ... [--server-cpu N] [--full]
//               [--scenarios a,b,...] [--models a,b,...] [--pid-file FILE] [--json FILE]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActorEcho.Compare;
using ActorEcho.Models.Driver;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

Arguments options;
try
{
    options = Arguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"Driver: {e.Message}");
    return 2;
}

var quick = !options.Full;
var scenarios = new Scenarios(new EchoLoad(options.EchoLoadPath), quick) { IdleHold = TimeSpan.FromSeconds(quick ? 2 : 5) };
var runner = new ScenarioRunner(options, scenarios, quick);

var selected = ScenarioRunner.All.Where(s => options.Scenarios is null || options.Scenarios.Contains(s.Key)).ToList();
var models = options.Models.Where(m => options.OnlyModels is null || options.OnlyModels.Contains(m.Name)).ToList();

Console.WriteLine("| model | " + string.Join(" | ", selected.Select(s => s.Title)) + " |");
Console.WriteLine("|---|" + string.Concat(selected.Select(_ => "---|")));
var results = new List<CellResult>();
foreach (var model in models)
{
    var cells = new List<string>();
    foreach (var scenario in selected)
    {
        Console.Error.Write($"{model.Name,-20} {scenario.Key,-14} ");
        var cell = await runner.RunAsync(model, scenario);
        results.Add(cell);
        cells.Add(cell.Text);
        Console.Error.WriteLine(cell.Text);
    }
    Console.WriteLine($"| {model.Name} | " + string.Join(" | ", cells) + " |");
    if (options.JsonFile is not null)
        await File.WriteAllTextAsync(options.JsonFile, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
}
return 0;

namespace ActorEcho.Models.Driver
{
    /// <summary>One server to compare: a model's DLL, started as <c>dotnet DLL 127.0.0.1:0 [extra]</c>.</summary>
    internal sealed record Model(string Name, string Dll, string[] ExtraArguments);

    internal sealed record Scenario(string Key, string Title);

    /// <summary>One cell of the table, with the figures behind it for run-to-run comparisons.</summary>
    internal sealed record CellResult(string Model, string Scenario, string Text, IReadOnlyList<Measurement> Measurements,
        int? PeakThreads = null, int? Served = null);

    internal sealed class ScenarioRunner(Arguments options, Scenarios scenarios, bool quick)
    {
        public static readonly Scenario[] All =
        [
            new("pingpong-50", "pingpong 50 conn × 64 B"),
            new("pingpong-1000", "pingpong 1,000 conn × 64 B"),
            new("stream", "stream 10 conn, 256 KiB in flight"),
            new("idle-10000", "10,000 idle conn"),
            new("slow-reader", "1 client never reads + 10 pingpong"),
            new("silent-client", "1 silent client + 5 others"),
            new("busy-among-idle", "10 pingpong among 5,000 idle conn"),
        ];

        private const int IdleBeside = 5_000;

        /// <summary>Longest any one scenario may take before its server is killed (which ends the load too).</summary>
        private static readonly TimeSpan ScenarioLimit = TimeSpan.FromSeconds(120);

        private const int SilentProbeClients = 5;
        private static readonly TimeSpan SilentProbeWait = TimeSpan.FromSeconds(2);

        /// <summary>Why a model cannot do a scenario at all, or null.</summary>
        private static string? NotApplicable(Model model, Scenario scenario) => (model.Name, scenario.Key) switch
        {
            ("OneAtATime", "idle-10000" or "busy-among-idle") => "n/a (one connection at a time)",
            ("OneAtATime", "silent-client") => null,
            ("OneAtATime", _) => "n/a (closes after one message)",
            _ => null,
        };

        public async Task<CellResult> RunAsync(Model model, Scenario scenario)
        {
            if (NotApplicable(model, scenario) is { } why)
                return new CellResult(model.Name, scenario.Key, why, []);

            ServerProcess server;
            try
            {
                server = ServerProcess.Start(model.Name, model.Dll, ["127.0.0.1:0", .. model.ExtraArguments],
                    options.ServerCpu, options.PidFile);
            }
            catch (InvalidOperationException e)
            {
                return new CellResult(model.Name, scenario.Key, $"failed: {OneLine(e.Message)}", []);
            }

            using (server)
            {
                var running = scenario.Key switch
                {
                    "pingpong-50" => PingPongAsync(model, scenario, server, 50),
                    "pingpong-1000" => PingPongAsync(model, scenario, server, 1000),
                    "stream" => StreamAsync(model, scenario, server),
                    "idle-10000" => IdleAsync(model, scenario, server),
                    "slow-reader" => SlowReaderAsync(model, scenario, server),
                    "silent-client" => SilentClientAsync(model, scenario, server),
                    "busy-among-idle" => BusyAmongIdleAsync(model, scenario, server),
                    _ => throw new ArgumentException($"unknown scenario {scenario.Key}"),
                };
                try
                {
                    var result = await running.WaitAsync(ScenarioLimit);
                    return server.HasExited ? result with { Text = result.Text + " (server died)" } : result;
                }
                catch (TimeoutException)
                {
                    server.Dispose(); // its clients fail at once; the abandoned load ends with them
                    _ = running.ContinueWith(t => t.Exception, TaskScheduler.Default);
                    return new CellResult(model.Name, scenario.Key, $"failed: no result within {ScenarioLimit.TotalSeconds:F0} s", []);
                }
                catch (Exception e)
                {
                    return new CellResult(model.Name, scenario.Key,
                        $"failed: {OneLine(e.Message)}{(server.HasExited ? " (server died)" : "")}", []);
                }
            }
        }

        private async Task<CellResult> PingPongAsync(Model model, Scenario scenario, ServerProcess server, int connections)
        {
            var m = await scenarios.PingPongAsync(scenario.Key, server, connections);
            return new CellResult(model.Name, scenario.Key,
                $"{m.MessagesPerSecond:N0} msg/s, p99 {Micros(m.P99Micros)}", [m]);
        }

        private async Task<CellResult> StreamAsync(Model model, Scenario scenario, ServerProcess server)
        {
            var m = await scenarios.StreamAsync(scenario.Key, server, 10, 256 * 1024, 16 * 1024);
            return new CellResult(model.Name, scenario.Key, $"{m.MegabytesPerSecond:N0} MB/s", [m]);
        }

        private async Task<CellResult> IdleAsync(Model model, Scenario scenario, ServerProcess server)
        {
            Measurement m;
            int threads;
            await using (var sampler = new PeakThreadSampler(server.Pid))
            {
                m = await scenarios.IdleAsync(scenario.Key, server);
                threads = sampler.Peak;
            }
            return new CellResult(model.Name, scenario.Key,
                $"{m.BytesPerConnection / 1024:F1} KiB/conn, {threads:N0} threads, accepted in {m.Seconds:F1} s, " +
                $"{m.Echoing:N0} still echo", [m], PeakThreads: threads);
        }

        /// <summary>bench/Compare's slow reader (one client that sends as fast as the server takes and reads
        /// nothing, then reads back and checks every byte) beside ten well-behaved pingpong clients.</summary>
        private async Task<CellResult> SlowReaderAsync(Model model, Scenario scenario, ServerProcess server)
        {
            var slowScenarios = new Scenarios(new EchoLoad(options.EchoLoadPath), quick)
            {
                SlowReaders = 1,
                SlowReaderSending = TimeSpan.FromSeconds(quick ? 3 : 5),
            };
            var slow = slowScenarios.SlowReaderAsync(scenario.Key, server);
            var neighbours = scenarios.PingPongAsync(scenario.Key + "-neighbours", server, 10);
            await Task.WhenAll(Task.WhenAny(slow), Task.WhenAny(neighbours));

            var measurements = new List<Measurement>();
            string others;
            if (neighbours.IsCompletedSuccessfully)
            {
                measurements.Add(neighbours.Result);
                others = $"others {neighbours.Result.MessagesPerSecond:N0} msg/s";
            }
            else
            {
                others = $"others failed: {OneLine(neighbours.Exception!.InnerException!.Message)}";
            }
            string slowReader;
            if (slow.IsCompletedSuccessfully)
            {
                var s = slow.Result;
                measurements.Add(s);
                slowReader = $"slow reader: every byte back ({s.SentBytesPerConnection / 1e6:F1} MB), " +
                             $"peak +{s.PeakBytes / 1e6:F1} MB";
            }
            else
            {
                slowReader = $"slow reader LOST bytes: {OneLine(slow.Exception!.InnerException!.Message)}";
            }
            return new CellResult(model.Name, scenario.Key, $"{others}; {slowReader}", measurements);
        }

        /// <summary>Ten pingpong clients while <see cref="IdleBeside"/> connections sit idle: what a readiness
        /// mechanism costs per wake-up when most sockets are not ready (poll scans them all, epoll does not).</summary>
        private async Task<CellResult> BusyAmongIdleAsync(Model model, Scenario scenario, ServerProcess server)
        {
            var idle = new List<Socket>(IdleBeside);
            try
            {
                using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                for (var i = 0; i < IdleBeside; i++)
                {
                    var socket = new Socket(server.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    idle.Add(socket);
                    await socket.ConnectAsync(server.Endpoint, connecting.Token);
                }
                var m = await scenarios.PingPongAsync(scenario.Key, server, 10);
                var cpu = m.UserMicrosPerMessage + m.KernelMicrosPerMessage;
                return new CellResult(model.Name, scenario.Key,
                    $"{m.MessagesPerSecond:N0} msg/s, p99 {Micros(m.P99Micros)}, CPU {cpu:F0} µs/msg", [m]);
            }
            finally
            {
                foreach (var socket in idle)
                    socket.Dispose();
            }
        }

        /// <summary>One client connects and sends nothing; then <see cref="SilentProbeClients"/> others each try
        /// one 64-byte echo within <see cref="SilentProbeWait"/>.</summary>
        private static async Task<CellResult> SilentClientAsync(Model model, Scenario scenario, ServerProcess server)
        {
            using var silent = new Socket(server.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using (var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
                await silent.ConnectAsync(server.Endpoint, connecting.Token);

            var clock = Stopwatch.StartNew();
            using var deadline = new CancellationTokenSource(SilentProbeWait);
            var probes = await Task.WhenAll(Enumerable.Range(0, SilentProbeClients).Select(async i =>
            {
                using var socket = new Socket(server.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(server.Endpoint, deadline.Token);
                    var message = Enumerable.Range(0, 64).Select(b => (byte)(b + i)).ToArray();
                    await socket.SendAsync(message, SocketFlags.None, deadline.Token);
                    var echo = new byte[message.Length];
                    var received = 0;
                    while (received < echo.Length)
                    {
                        var read = await socket.ReceiveAsync(echo.AsMemory(received), SocketFlags.None, deadline.Token);
                        if (read == 0)
                            return (Served: false, Elapsed: clock.Elapsed);
                        received += read;
                    }
                    return (Served: echo.AsSpan().SequenceEqual(message), Elapsed: clock.Elapsed);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException)
                {
                    return (Served: false, Elapsed: clock.Elapsed);
                }
            }));
            var served = probes.Count(p => p.Served);
            var text = served == SilentProbeClients
                ? $"{served}/{SilentProbeClients} served, slowest {probes.Max(p => p.Elapsed).TotalMilliseconds:F0} ms"
                : $"{served}/{SilentProbeClients} served within {SilentProbeWait.TotalSeconds:F0} s";
            return new CellResult(model.Name, scenario.Key, text, [], Served: served);
        }

        private static string Micros(double? micros) =>
            micros is not { } value ? "?" : value >= 1000 ? $"{value / 1000:F1} ms" : $"{value:F0} µs";

        private static string OneLine(string message)
        {
            var line = message.ReplaceLineEndings(" ").Replace('|', '/');
            return line.Length > 160 ? line[..160] + "…" : line;
        }
    }

    /// <summary>Samples a process's thread count (Threads: in /proc/PID/status) and keeps the highest.</summary>
    internal sealed class PeakThreadSampler : IAsyncDisposable
    {
        private readonly int _pid;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private int _peak;

        public PeakThreadSampler(int pid)
        {
            _pid = pid;
            _sampling = Task.Run(SampleAsync);
        }

        public int Peak => Volatile.Read(ref _peak);

        private async Task SampleAsync()
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            try
            {
                do
                {
                    var threads = ReadThreads();
                    if (threads > _peak)
                        Volatile.Write(ref _peak, threads);
                }
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException)
            {
            }
        }

        private int ReadThreads()
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
                {
                    if (line.StartsWith("Threads:", StringComparison.Ordinal))
                        return int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process has exited.
            }
            return 0;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _sampling.ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    /// <summary>The command line.</summary>
    internal sealed record Arguments
    {
        public required string ActorEchoDll { get; init; }
        /// <summary>bench/echoload, the C load client (pingpong and stream loads).</summary>
        public required string EchoLoadPath { get; init; }
        public required IReadOnlyList<Model> Models { get; init; }
        public string? ServerCpu { get; init; }
        public bool Full { get; init; }
        public string[]? Scenarios { get; init; }
        public string[]? OnlyModels { get; init; }
        public string? PidFile { get; init; }
        public string? JsonFile { get; init; }

        public static Arguments Parse(string[] args)
        {
            var values = new Dictionary<string, string>();
            var models = new List<Model>();
            var full = false;
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--full")
                {
                    full = true;
                }
                else if (args[i] == "--model" && i + 1 < args.Length)
                {
                    var parts = args[++i].Split('=', 2);
                    if (parts.Length != 2)
                        throw new ArgumentException($"--model wants NAME=DLL, not {args[i]}");
                    models.Add(new Model(parts[0], parts[1], []));
                }
                else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    values[args[i]] = args[++i];
                }
                else
                {
                    throw new ArgumentException($"unexpected argument {args[i]}");
                }
            }
            if (!values.TryGetValue("--actor-echo", out var actorEcho))
                throw new ArgumentException("--actor-echo DLL is required");
            if (!values.TryGetValue("--echoload", out var echoLoad))
                throw new ArgumentException("--echoload PATH is required");
            // ActorEcho is the last model: the actor-per-connection one.
            models.Add(new Model("ActorEcho", actorEcho,
                values.TryGetValue("--actor-config", out var config) ? ["--config", config] : []));
            return new Arguments
            {
                ActorEchoDll = actorEcho,
                EchoLoadPath = echoLoad,
                Models = models,
                ServerCpu = values.GetValueOrDefault("--server-cpu"),
                Full = full,
                Scenarios = values.TryGetValue("--scenarios", out var list) ? list.Split(',') : null,
                OnlyModels = values.TryGetValue("--models", out var names) ? names.Split(',') : null,
                PidFile = values.GetValueOrDefault("--pid-file"),
                JsonFile = values.GetValueOrDefault("--json"),
            };
        }
    }
}
