using System.Globalization;

namespace ActorEcho.Compare;

/// <summary>
/// A reconnect storm: every client connects at the same instant to a freshly started server (as clients do after
/// a restart or a balancer failover), each echoes 16 bytes, all are held 1 s, each echoes 16 bytes again, then all
/// close. The client is echoload's storm mode (C, epoll, non-blocking connects: it outruns every server here, so the
/// figures are the server's). Measures the time until the last client connected and until every first echo came
/// back, the whole cycle, the server's CPU for the cycle (its closes included) and the clients that failed
/// (refused, reset, timed out, wrong echo; nothing is retried). Nothing paces the connects: a server whose accept
/// queue overflows makes the kernel drop SYNs, which the kernel retries after 1 s, then 3 s.
/// </summary>
public static class StormScenario
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);

    public static async Task<Measurement> RunAsync(string scenario, ServerProcess server, int connections, EchoLoad load)
    {
        var before = server.ResidentBytes();
        var cpuBefore = await server.QuietCpuTimeAsync().ConfigureAwait(false);
        EchoLoadResult result;
        long peak;
        await using (var sampler = new PeakResidentSampler(server))
        {
            result = await load.RunAsync(server, ["--mode=storm", $"--conns={connections.ToString(CultureInfo.InvariantCulture)}", "--secs=1"], Limit)
                .ConfigureAwait(false);
            peak = sampler.PeakBytes;
        }
        var cpuAfter = await server.QuietCpuTimeAsync().ConfigureAwait(false);
        var echoed = result["echo1_s"];
        return new Measurement
        {
            Scenario = scenario,
            Server = server.Name,
            ConnectedSeconds = result["connect_s"],
            Seconds = echoed,
            TotalSeconds = result["total_s"],
            ServerCpuSeconds = (cpuAfter - cpuBefore).TotalSeconds,
            ClientCpuSeconds = result["client_cpu_s"],
            ConnectionsPerSecond = echoed is > 0 ? connections / echoed : null,
            BytesPerConnection = Math.Max(0, peak - before) / (double)connections,
            Echoing = result.Count("complete"),
            ClientErrors = connections - result.Count("complete"),
            Mismatches = result.Count("mismatches"),
        };
    }
}
