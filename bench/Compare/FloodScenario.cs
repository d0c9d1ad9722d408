using System.Diagnostics;
using System.Globalization;

namespace ActorEcho.Compare;

/// <summary>One flood of slow readers against a server, as <see cref="FloodScenario"/> measured it.</summary>
public sealed record Flood
{
    public required int Clients { get; init; }
    /// <summary>Clients that got every byte back, each byte checked against the pattern.</summary>
    public required int Complete { get; init; }
    public required int Mismatches { get; init; }
    public required int Errors { get; init; }
    /// <summary>The server's peak RSS during the flood (sampled every 20 ms), and its RSS once the flood had been
    /// gone for <see cref="FloodScenario.Afterwards"/> (null if it died).</summary>
    public required long PeakBytes { get; init; }
    public required long? BytesAfter { get; init; }
    public required double Seconds { get; init; }
    /// <summary>"alive" after the flood, or how the server ended (<see cref="ServerProcess.State"/>).</summary>
    public required string ServerState { get; init; }
}

/// <summary>
/// slow-reader-flood (memory under clients that stop reading): against one fresh server, <see cref="Clients"/>
/// clients each send 1 MiB and read
/// nothing for <see cref="NotReading"/>, then read everything back (echoload slowread, every byte checked); then a
/// second identical flood right after the first (once the first has been gone for <see cref="Afterwards"/>, when
/// its RSS is read). Meanwhile one more client does 64 B ping-pong on one connection through both floods: a
/// client that reads its echo must keep being served. slow-reader-flood-512MiB is the same with the server in a
/// 512 MiB memory cgroup (<see cref="MemoryCgroup"/>), a container's limit.
/// </summary>
public sealed class FloodScenario(EchoLoad load, bool quick, bool smoke)
{
    public const string Name = "slow-reader-flood";
    public const string InContainer = "slow-reader-flood-512MiB";
    public const long ContainerLimitBytes = 512L * 1024 * 1024;
    private static readonly TimeSpan FloodTimeout = TimeSpan.FromSeconds(120);

    // --smoke: a functional check of the harness, not a measurement.
    public int Clients => smoke ? 50 : quick ? 500 : 5000;
    public int BytesPerClient => smoke ? 65_536 : 1_048_576;
    public TimeSpan NotReading => TimeSpan.FromSeconds(smoke ? 1 : quick ? 3 : 10);
    public TimeSpan Afterwards => TimeSpan.FromSeconds(smoke ? 1 : quick ? 3 : 10);

    public static bool IsFlood(string scenario) => scenario is Name or InContainer;

    public async Task<Measurement> RunAsync(string scenario, ServerProcess server, MemoryCgroup? cgroup)
    {
        // The runtime's start-up allocations settle first: "before" is the idle server.
        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        var before = server.ResidentBytes();
        // Bounded even if this driver dies: the ping stops by itself after both floods' longest possible time.
        var pingSeconds = (int)(2 * (FloodTimeout + Afterwards).TotalSeconds + 60);
        var ping = load.Start(server, ["--mode=pingpong", "--conns=1", "--size=64", $"--secs={pingSeconds}"]);
        var floods = new List<Flood>();
        for (var i = 0; i < 2 && !server.HasExited; i++)
            floods.Add(await FloodAsync(server).ConfigureAwait(false));
        var pong = await ping.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        return new Measurement
        {
            Scenario = scenario,
            Server = server.Name,
            BytesBefore = before,
            Floods = floods,
            PingMessages = pong["msgs"],
            PingP99Micros = pong["p99_us"],
            PingMaxMicros = pong["max_us"],
            PingErrors = pong.Count("errors") + pong.Count("mismatches") + pong.Count("connfail"),
            OutOfMemoryLines = server.OutOfMemoryLines,
            CgroupMaxUsageBytes = cgroup?.MaxUsageBytes,
            CgroupFailCount = cgroup?.FailCount,
        };
    }

    private async Task<Flood> FloodAsync(ServerProcess server)
    {
        var clock = Stopwatch.StartNew();
        EchoLoadResult result;
        long peak;
        await using (var sampler = new PeakResidentSampler(server))
        {
            result = await load.RunAsync(server,
                ["--mode=slowread", $"--conns={Clients}", $"--total={BytesPerClient}", $"--secs={Whole(NotReading)}", $"--timeout={Whole(FloodTimeout)}"],
                FloodTimeout + TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            peak = sampler.PeakBytes;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(Afterwards).ConfigureAwait(false);
        return new Flood
        {
            Clients = Clients,
            Complete = result.Count("complete"),
            Mismatches = result.Count("mismatches"),
            Errors = result.Count("errors") + result.Count("connfail"),
            PeakBytes = peak,
            BytesAfter = server.ResidentBytesIfAlive(),
            Seconds = seconds,
            ServerState = server.State,
        };
    }

    private static string Whole(TimeSpan duration) => ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
