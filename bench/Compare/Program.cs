// bench/run.sh's driver. Runs every scenario against ActorEcho and the raw-socket baseline in alternating
// rounds (a fresh server process each time, pinned to --server-cpu if given), then prints one table of
// medians with ActorEcho's ratio to raw, and the targets met or missed.
//
// Usage: Compare --actor-echo DLL --raw DLL [--actor-config FILE] [--server-cpu N] [--rounds N] [--quick]
//                [--scenarios a,b,...] [--pid-file FILE] [--json FILE]
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Compare;

var options = Arguments.Parse(args);
var scenarios = new Scenarios(options.ActorEchoDll, options.Quick)
{
    IdleHold = TimeSpan.FromSeconds(options.Quick ? 2 : 5),
    SlowReaderSending = TimeSpan.FromSeconds(options.Quick ? 2 : 5),
};

string[] allScenarios = ["pingpong-50x64B", "stream-10x256KiB-in-flight", "pingpong-1000", "idle-10000", "slow-reader-10"];
var selected = options.Scenarios ?? allScenarios;
var results = new List<Measurement>();
var servers = new (string Name, Func<ServerProcess> Start)[]
{
    ("raw", () => ServerProcess.Start("raw", options.RawDll, ["127.0.0.1:0"], options.ServerCpu, options.PidFile)),
    ("ActorEcho", () => ServerProcess.Start("ActorEcho", options.ActorEchoDll,
        options.ActorConfig is null ? ["127.0.0.1:0"] : ["127.0.0.1:0", "--config", options.ActorConfig],
        options.ServerCpu, options.PidFile)),
};

for (var round = 1; round <= options.Rounds; round++)
{
    // Alternate which server goes first, so a drift in the machine's load does not always favour the same one.
    var order = round % 2 == 1 ? servers : servers.Reverse().ToArray();
    foreach (var scenario in selected)
    {
        foreach (var (name, start) in order)
        {
            Console.Error.Write($"round {round}/{options.Rounds}  {scenario,-28} {name,-10} ");
            using var server = start();
            var measurement = scenario switch
            {
                "pingpong-50x64B" => await scenarios.PingPongAsync(scenario, server, 50),
                "stream-10x256KiB-in-flight" => await scenarios.StreamAsync(scenario, server, 10, 256 * 1024),
                "pingpong-1000" => await scenarios.PingPongAsync(scenario, server, 1000),
                "idle-10000" => await scenarios.IdleAsync(scenario, server),
                "slow-reader-10" => await scenarios.SlowReaderAsync(scenario, server),
                _ => throw new ArgumentException($"unknown scenario {scenario}"),
            };
            results.Add(measurement);
            Console.Error.WriteLine(Table.Brief(measurement));
        }
    }
}

if (options.JsonFile is not null)
    await File.WriteAllTextAsync(options.JsonFile, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));

var bound = WatermarkBound.Read(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.ActorEchoDll))!, "akka.hocon"));
Table.Print(Console.Out, selected, results, bound, scenarios);
return 0;

/// <summary>The command line.</summary>
internal sealed record Arguments
{
    public required string ActorEchoDll { get; init; }
    public required string RawDll { get; init; }
    public string? ActorConfig { get; init; }
    public string? ServerCpu { get; init; }
    public int Rounds { get; init; } = 3;
    public bool Quick { get; init; }
    public string[]? Scenarios { get; init; }
    public string? PidFile { get; init; }
    public string? JsonFile { get; init; }

    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        var quick = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
                quick = true;
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                values[args[i]] = args[++i];
            else
                throw new ArgumentException($"unexpected argument {args[i]}");
        }
        return new Arguments
        {
            ActorEchoDll = values["--actor-echo"],
            RawDll = values["--raw"],
            ActorConfig = values.GetValueOrDefault("--actor-config"),
            ServerCpu = values.GetValueOrDefault("--server-cpu"),
            Rounds = values.TryGetValue("--rounds", out var rounds) ? int.Parse(rounds, CultureInfo.InvariantCulture) : quick ? 1 : 3,
            Quick = quick,
            Scenarios = values.TryGetValue("--scenarios", out var list) ? list.Split(',') : null,
            PidFile = values.GetValueOrDefault("--pid-file"),
            JsonFile = values.GetValueOrDefault("--json"),
        };
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
