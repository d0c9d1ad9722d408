using System.Diagnostics;
using System.Globalization;

namespace ActorEcho.Compare;

/// <summary>
/// bench/echoload (C, epoll, one process: a client that outruns every server here) as a child process. It inherits
/// the driver's CPU affinity (run.sh pins the driver to the load CPU) and prints one line of key=value figures.
/// Exit code 1 means the load saw errors or wrong bytes, which the summary counts; 2 means bad arguments.
/// </summary>
public sealed class EchoLoad(string path)
{
    /// <summary>Runs echoload against <paramref name="server"/> to its end, killing it after <paramref name="limit"/>.</summary>
    public async Task<EchoLoadResult> RunAsync(ServerProcess server, IEnumerable<string> arguments, TimeSpan limit)
    {
        var run = Start(server, arguments);
        return await run.WaitAsync(limit).ConfigureAwait(false);
    }

    /// <summary>Starts echoload in the background (a ping-pong that runs beside other loads until stopped).</summary>
    public Run Start(ServerProcess server, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add($"--host={server.Endpoint.Address}");
        info.ArgumentList.Add($"--port={server.Endpoint.Port}");
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {path}");
        return new Run(process, $"echoload {string.Join(' ', info.ArgumentList)}");
    }

    public sealed class Run(Process process, string commandLine)
    {
        private readonly Task<string> _output = process.StandardOutput.ReadToEndAsync();
        private readonly Task<string> _errors = process.StandardError.ReadToEndAsync();

        /// <summary>Asks for the summary now (SIGINT: echoload stops its loop and prints it), then waits for it.</summary>
        public async Task<EchoLoadResult> StopAsync(TimeSpan limit)
        {
            if (!process.HasExited)
            {
                using var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }
            return await WaitAsync(limit).ConfigureAwait(false);
        }

        public async Task<EchoLoadResult> WaitAsync(TimeSpan limit)
        {
            using (process)
            {
                using var timeout = new CancellationTokenSource(limit);
                try
                {
                    await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    throw new InvalidOperationException($"{commandLine}: did not finish within {limit.TotalSeconds:0} s");
                }
                var output = await _output.ConfigureAwait(false);
                var errors = await _errors.ConfigureAwait(false);
                var summary = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(line => line.StartsWith("mode=", StringComparison.Ordinal));
                if (process.ExitCode > 1 || summary is null)
                    throw new InvalidOperationException($"{commandLine}: exit {process.ExitCode}, no summary: {errors.Trim()}");
                return EchoLoadResult.Parse(summary);
            }
        }
    }
}

/// <summary>echoload's summary line: <c>mode=storm conns=10000 ... errors=0 mismatches=0 client_cpu_s=0.41</c>.</summary>
public sealed class EchoLoadResult(IReadOnlyDictionary<string, string> values)
{
    public static EchoLoadResult Parse(string line) => new(line.Trim().Split(' ')
        .Select(pair => pair.Split('=', 2)).Where(pair => pair.Length == 2).ToDictionary(pair => pair[0], pair => pair[1]));

    /// <summary>A figure of the summary; null when echoload did not print it or printed -1 (never reached).</summary>
    public double? this[string key] =>
        values.TryGetValue(key, out var text) && double.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : null;

    public int Count(string key) => (int)(this[key] ?? 0);
}
