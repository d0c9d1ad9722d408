using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace ActorEcho.Compare;

/// <summary>One echo server under test, as a child process: started (optionally pinned to a CPU with taskset),
/// its address read from its "Listening on ip:port" line, its memory read from /proc, killed at the end.</summary>
public sealed class ServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    public string Name { get; }
    public IPEndPoint Endpoint { get; }
    public int Pid => _process.Id;

    private ServerProcess(string name, Process process, IPEndPoint endpoint)
    {
        Name = name;
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>Starts <c>dotnet DLL ARGS</c>, under <c>taskset -c CPU</c> when <paramref name="cpu"/> is given,
    /// and waits for its "Listening on" line.</summary>
    public static ServerProcess Start(string name, string dll, IEnumerable<string> arguments, string? cpu, string? pidFile)
    {
        var info = new ProcessStartInfo(cpu is null ? "dotnet" : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpu is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cpu);
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);

        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {name}");
        // run.sh kills whatever is listed here when it exits, even if this driver is killed first.
        if (pidFile is not null)
            File.AppendAllText(pidFile, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");

        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            const string prefix = "Listening on ";
            if (e.Data is { } line && line.StartsWith(prefix, StringComparison.Ordinal))
                listening.TrySetResult(IPEndPoint.Parse(line[prefix.Length..].Trim()));
        };
        // Drained so a chatty server never blocks on a full pipe; shown only if it fails to start.
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null && errors.Count < 50) errors.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        if (!listening.Task.Wait(StartTimeout))
        {
            Kill(process);
            throw new InvalidOperationException($"{name} did not print 'Listening on' within {StartTimeout.TotalSeconds} s: {string.Join(" | ", errors)}");
        }
        return new ServerProcess(name, process, listening.Task.Result);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>CPU time the server has used so far, user and kernel (utime, stime in /proc/PID/stat).</summary>
    public (TimeSpan User, TimeSpan Kernel) CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on
        static TimeSpan Ticks(string value) =>
            TimeSpan.FromSeconds(long.Parse(value, CultureInfo.InvariantCulture) / TicksPerSecond);
        return (Ticks(fields[11]), Ticks(fields[12]));
    }

    /// <summary>Resident set size now, in bytes (VmRSS in /proc/PID/status).</summary>
    public long ResidentBytes() => ReadStatusKilobytes("VmRSS:") * 1024;

    private long ReadStatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal))
                continue;
            var digits = line[field.Length..].Trim().Split(' ')[0];
            return long.Parse(digits, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"{field} missing from /proc/{_process.Id}/status");
    }

    public void Dispose()
    {
        Kill(_process);
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}

/// <summary>Samples a server's RSS every few milliseconds in the background and keeps the highest value, so a
/// short peak between two reads of /proc is still seen at most one interval late.</summary>
public sealed class PeakResidentSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    private readonly ServerProcess _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peak;

    public PeakResidentSampler(ServerProcess server)
    {
        _server = server;
        _peak = server.ResidentBytes();
        _sampling = Task.Run(SampleAsync);
    }

    public long PeakBytes => Interlocked.Read(ref _peak);

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_server.HasExited)
                    return;
                var now = _server.ResidentBytes();
                if (now > Interlocked.Read(ref _peak))
                    Interlocked.Exchange(ref _peak, now);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stop.Dispose();
    }
}
