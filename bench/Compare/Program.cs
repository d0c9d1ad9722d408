// bench/run.sh's driver. Runs every scenario against ActorEcho, the raw-socket baseline and the peers (the Akka.IO
// floor, the Akka.Streams echo) in alternating rounds (a fresh server process each time, pinned to --server-cpu if
// given), then prints tables of medians with each server's ratio to raw and to the Akka.IO floor, and the targets
// met or missed. The floods run in the first round only (each takes about a minute per server); the storms and
// pingpong-1000, 7 rounds.
//
// Usage: Compare --actor-echo DLL --raw DLL --echoload PATH [--floor DLL] [--streams DLL] [--actor-config FILE]
//                [--before-dll DLL] [--before-config FILE]
//                [--server-cpu N] [--rounds N] [--swing-rounds N] [--quick | --smoke] [--scenarios a,b,...]
//                [--servers raw,ActorEcho,akka-io-floor,akka-streams] [--pid-file FILE] [--json FILE] [--cgroup-name NAME]
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Compare;

const string ActorEchoBefore = "ActorEcho-before";
var options = Arguments.Parse(args);
var echoLoad = new EchoLoad(options.EchoLoad);
var floods = new FloodScenario(echoLoad, options.Quick, options.Smoke);
// --smoke checks that the harness works (tiny counts, seconds); its figures mean nothing.
var stormClients = options.Smoke ? 200 : 10_000;
var scenarios = new Scenarios(echoLoad, options.Quick)
{
    IdleConnections = options.Smoke ? 200 : 10_000,
    IdleHold = TimeSpan.FromSeconds(options.Quick ? 2 : 5),
    SlowReaderSending = TimeSpan.FromSeconds(options.Quick ? 2 : 5),
};

string[] allScenarios = ["pingpong-50x64B", "stream-10x256KiB-in-flight", "bulk-10x64KiB-writes", "pingpong-1000", "idle-10000",
    "slow-reader-10", "storm-10000", "storm-18000", FloodScenario.Name, FloodScenario.InContainer];
var selected = (options.Scenarios ?? allScenarios).ToList();
var notes = new List<string>();
// The container half of the flood needs a memory cgroup (root, cgroup v1): without one it is skipped, and said so.
if (selected.Contains(FloodScenario.InContainer) && MemoryCgroup.WhyNotPossible(options.CgroupName, FloodScenario.ContainerLimitBytes) is { } whyNot)
{
    selected.Remove(FloodScenario.InContainer);
    notes.Add($"{FloodScenario.InContainer} skipped: {whyNot}");
    Console.Error.WriteLine(notes[^1]);
}
var results = new List<Measurement>();
var servers = new List<(string Name, Func<string, MemoryCgroup?, ServerProcess> Start)>
{
    ("raw", (_, cgroup) => ServerProcess.Start("raw", options.RawDll, ["127.0.0.1:0"], options.ServerCpu, options.PidFile, cgroup)),
    ("ActorEcho", (scenario, cgroup) => ServerProcess.Start("ActorEcho", options.ActorEchoDll,
        ["127.0.0.1:0", "--config", ScenarioConfig.For(scenario, options.ActorConfig)], options.ServerCpu, options.PidFile, cgroup)),
};
// ActorEcho as it was (another build, or other settings), beside today's in the same run: the before/after that
// a change must show (--before-dll defaults to today's build, --before-config to --actor-config).
if (options.BeforeDll is not null || options.BeforeConfig is not null)
    servers.Add((ActorEchoBefore, (scenario, cgroup) => ServerProcess.Start(ActorEchoBefore, options.BeforeDll ?? options.ActorEchoDll,
        ["127.0.0.1:0", "--config", ScenarioConfig.For(scenario, options.BeforeConfig ?? options.ActorConfig, ActorEchoBefore)],
        options.ServerCpu, options.PidFile, cgroup)));
// The Akka.IO floor and the Akka.Streams peer run with the same akka.hocon and the same overlay as ActorEcho.
if (options.FloorDll is not null)
    servers.Add(("akka-io-floor", (scenario, cgroup) => ServerProcess.Start("akka-io-floor", options.FloorDll,
        ["127.0.0.1:0", "--config", ScenarioConfig.For(scenario, options.ActorConfig)], options.ServerCpu, options.PidFile, cgroup)));
if (options.StreamsDll is not null)
    servers.Add(("akka-streams", (scenario, cgroup) => ServerProcess.Start("akka-streams", options.StreamsDll,
        ["127.0.0.1:0", "--config", ScenarioConfig.For(scenario, options.ActorConfig)], options.ServerCpu, options.PidFile, cgroup)));

if (options.Servers is { } only)
    servers.RemoveAll(server => !only.Contains(server.Name));

// The storms and the 1,000-connection ping-pong swing between rounds on this kind of VM, on every server: storms
// ±15 % and a stall of 1-2 s now and then; the ping-pong up to 2x, in the VM's slow phases
// (docs/journal/issue-20-storm-and-pingpong.md, "Ping-pong with 1,000 connections: what its rounds swing on").
// Their verdict takes more rounds than the rest (--swing-rounds); the rounds past --rounds run them alone.
var swingRounds = Math.Max(options.Rounds, options.SwingRounds);
static bool Swings(string scenario) => scenario.StartsWith("storm", StringComparison.Ordinal) || scenario == "pingpong-1000";
for (var round = 1; round <= swingRounds; round++)
{
    // Rotate which server goes first, so a drift in the machine's load does not always favour the same one.
    var order = servers.Skip((round - 1) % servers.Count).Concat(servers.Take((round - 1) % servers.Count)).ToList();
    // The floods measure memory and survival, not speed: one round is enough, and each takes a minute per server.
    foreach (var scenario in selected.Where(s => round > options.Rounds ? Swings(s) : round == 1 || !FloodScenario.IsFlood(s)))
    {
        foreach (var (name, start) in order)
        {
            Console.Error.Write($"round {round}/{(Swings(scenario) ? swingRounds : options.Rounds)}  {scenario,-28} {name,-16} ");
            // Disposed in reverse: the server is killed first, then its cgroup (if any) removed.
            using var cgroup = scenario == FloodScenario.InContainer ? MemoryCgroup.Create(options.CgroupName, FloodScenario.ContainerLimitBytes) : null;
            using var server = start(scenario, cgroup);
            var measurement = scenario switch
            {
                "pingpong-50x64B" => await scenarios.PingPongAsync(scenario, server, 50),
                // Stream: 16 KiB writes; bulk: 64 KiB writes; each client keeps 256 KiB in flight.
                "stream-10x256KiB-in-flight" => await scenarios.StreamAsync(scenario, server, 10, 256 * 1024, 16 * 1024),
                "bulk-10x64KiB-writes" => await scenarios.StreamAsync(scenario, server, 10, 256 * 1024, 64 * 1024),
                "pingpong-1000" => await scenarios.PingPongAsync(scenario, server, 1000),
                "idle-10000" => await scenarios.IdleAsync(scenario, server),
                "slow-reader-10" => await scenarios.SlowReaderAsync(scenario, server),
                "storm-10000" => await StormScenario.RunAsync(scenario, server, stormClients, echoLoad),
                "storm-18000" => await StormScenario.RunAsync(scenario, server, stormClients * 18 / 10, echoLoad),
                FloodScenario.Name or FloodScenario.InContainer => await floods.RunAsync(scenario, server, cgroup),
                _ => throw new ArgumentException($"unknown scenario {scenario}"),
            };
            // Other work on the machine skews every figure: keep the load average beside each measurement.
            measurement = measurement with { LoadAverage = LoadAverage.Read() };
            results.Add(measurement);
            Console.Error.WriteLine(Table.Brief(measurement));
        }
    }
}

if (options.JsonFile is not null)
    await File.WriteAllTextAsync(options.JsonFile, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));

var bound = WatermarkBound.Read(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.ActorEchoDll))!, "akka.hocon"));
if (options.Smoke)
    notes.Add("SMOKE RUN (--smoke): tiny counts to check the harness; these figures mean nothing.");
Table.Print(Console.Out, selected, results, bound, scenarios, floods, servers.Select(s => s.Name).ToList(), notes);
return 0;

/// <summary>The command line.</summary>
internal sealed record Arguments
{
    public required string ActorEchoDll { get; init; }
    public required string RawDll { get; init; }
    public required string EchoLoad { get; init; }
    public string? FloorDll { get; init; }
    public string? StreamsDll { get; init; }
    public string? ActorConfig { get; init; }
    public string? BeforeDll { get; init; }
    public string? BeforeConfig { get; init; }
    public string? ServerCpu { get; init; }
    public int Rounds { get; init; } = 3;
    /// <summary>Rounds of the scenarios that swing (the storms, pingpong-1000): 7 unless --swing-rounds says (quick and
    /// smoke runs: --rounds).</summary>
    public int SwingRounds { get; init; } = 7;
    public bool Quick { get; init; }
    public bool Smoke { get; init; }
    public string[]? Scenarios { get; init; }
    public string[]? Servers { get; init; }
    public string? PidFile { get; init; }
    public string? JsonFile { get; init; }
    public required string CgroupName { get; init; }

    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        var quick = false;
        var smoke = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
                quick = true;
            else if (args[i] == "--smoke")
                smoke = quick = true;
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                values[args[i]] = args[++i];
            else
                throw new ArgumentException($"unexpected argument {args[i]}");
        }
        var rounds = values.TryGetValue("--rounds", out var given) ? int.Parse(given, CultureInfo.InvariantCulture) : quick ? 1 : 3;
        return new Arguments
        {
            ActorEchoDll = values["--actor-echo"],
            RawDll = values["--raw"],
            EchoLoad = values["--echoload"],
            FloorDll = values.GetValueOrDefault("--floor"),
            StreamsDll = values.GetValueOrDefault("--streams"),
            ActorConfig = values.GetValueOrDefault("--actor-config"),
            BeforeDll = values.GetValueOrDefault("--before-dll"),
            BeforeConfig = values.GetValueOrDefault("--before-config"),
            ServerCpu = values.GetValueOrDefault("--server-cpu"),
            Rounds = rounds,
            SwingRounds = values.TryGetValue("--swing-rounds", out var swingRounds) ? int.Parse(swingRounds, CultureInfo.InvariantCulture)
                : quick ? rounds : 7,
            Quick = quick,
            Smoke = smoke,
            Scenarios = values.TryGetValue("--scenarios", out var list) ? list.Split(',') : null,
            Servers = values.TryGetValue("--servers", out var names) ? names.Split(',') : null,
            PidFile = values.GetValueOrDefault("--pid-file"),
            JsonFile = values.GetValueOrDefault("--json"),
            CgroupName = values.GetValueOrDefault("--cgroup-name") ?? $"actorecho-bench-{Environment.ProcessId}",
        };
    }
}

/// <summary>The 1-minute load average (/proc/loadavg), recorded with each measurement.</summary>
internal static class LoadAverage
{
    public static double? Read() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture, out var load)
            ? load : null;
}

/// <summary>The overlay each Akka server runs with: the --actor-config file, plus what a scenario needs on top
/// (the 18,000-client storm is over the shipped max-connections of 10,000, so it is raised for that storm only).</summary>
internal static class ScenarioConfig
{
    public static string For(string scenario, string? actorConfig, string server = "ActorEcho")
    {
        var text = actorConfig is null ? "" : File.ReadAllText(actorConfig);
        if (scenario == "storm-18000")
            text += "\nactor-echo.max-connections = 20000\n";
        var path = Path.Combine(Path.GetTempPath(), $"actor-echo-bench-{Environment.ProcessId}-{server}-{scenario}.hocon");
        File.WriteAllText(path, text);
        return path;
    }
}

/// <summary>ActorEcho's own memory bound per connection: write-high-watermark + maximum-frame-size, read from
/// the akka.hocon it runs with (only the "N KiB" form the shipped file uses).</summary>
internal static partial class WatermarkBound
{
    public static long Read(string hoconPath)
    {
        var text = File.ReadAllText(hoconPath);
        return Kibibytes(text, "write-high-watermark") + Kibibytes(text, "maximum-frame-size");
    }

    private static long Kibibytes(string text, string key)
    {
        var match = Regex.Match(text, $@"^\s*{Regex.Escape(key)}\s*=\s*(\d+)\s*KiB", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * 1024 : 0;
    }
}
