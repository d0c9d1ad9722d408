using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace ActorEcho.Compare;

/// <summary>One echo server under test, as a child process: started (optionally pinned to a CPU with taskset, and
/// inside a memory cgroup), its address read from its "Listening on ip:port" line, its memory and CPU read from /proc,
/// its out-of-memory reports counted, killed at the end.</summary>
public sealed class ServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private int _outOfMemoryLines;

    public string Name { get; }
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);
    public int Pid => _process.Id;

    private ServerProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>Starts <c>dotnet DLL ARGS</c>, under <c>taskset -c CPU</c> when <paramref name="cpu"/> is given,
    /// and waits for its "Listening on" line. With <paramref name="cgroup"/>, the process joins that memory cgroup
    /// before the runtime starts (a shell writes its own PID to cgroup.procs, then execs), so that the .NET GC
    /// reads the cgroup's limit at start as it would in a container.</summary>
    public static ServerProcess Start(string name, string dll, IEnumerable<string> arguments, string? cpu, string? pidFile,
        MemoryCgroup? cgroup = null)
    {
        var command = new List<string>();
        if (cgroup is not null)
            command.AddRange(["sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup.ProcsFile]);
        if (cpu is not null)
            command.AddRange(["taskset", "-c", cpu]);
        command.Add("dotnet");
        command.Add(dll);
        command.AddRange(arguments);
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);

        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {name}");
        var server = new ServerProcess(name, process);
        // run.sh kills whatever is listed here when it exits, even if this driver is killed first.
        if (pidFile is not null)
            File.AppendAllText(pidFile, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");

        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            const string prefix = "Listening on ";
            server.CountOutOfMemory(e.Data);
            if (e.Data is { } line && line.StartsWith(prefix, StringComparison.Ordinal))
                listening.TrySetResult(IPEndPoint.Parse(line[prefix.Length..].Trim()));
        };
        // Drained so a chatty server never blocks on a full pipe; shown only if it fails to start.
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            server.CountOutOfMemory(e.Data);
            if (e.Data is not null && errors.Count < 50)
                errors.Enqueue(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        if (!listening.Task.Wait(StartTimeout))
        {
            Kill(process);
            throw new InvalidOperationException($"{name} did not print 'Listening on' within {StartTimeout.TotalSeconds} s: {string.Join(" | ", errors)}");
        }
        server.Endpoint = listening.Task.Result;
        return server;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>"alive", or how it ended: "exit 137" is a SIGKILL, the kernel's OOM killer in a cgroup.</summary>
    public string State => _process.HasExited ? $"exit {_process.ExitCode}" : "alive";

    /// <summary>Lines of its stdout and stderr that report running out of memory: .NET's OutOfMemoryException (in
    /// a log line or a crash) and the runtime's "Out of memory." abort.</summary>
    public int OutOfMemoryLines => Volatile.Read(ref _outOfMemoryLines);

    private void CountOutOfMemory(string? line)
    {
        if (line is not null && (line.Contains("OutOfMemory", StringComparison.Ordinal) || line.Contains("Out of memory", StringComparison.Ordinal)))
            Interlocked.Increment(ref _outOfMemoryLines);
    }

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

    /// <summary>The server's CPU time (user + kernel) once it has gone quiet: after a load ends, a server still
    /// closes its connections (an actor each to stop, say); that work belongs to the load. Quiet means under 20 ms
    /// of CPU in 250 ms, waited for at most 5 s.</summary>
    public async Task<TimeSpan> QuietCpuTimeAsync()
    {
        var last = Total(CpuTime());
        for (var waited = 0; waited < 20 && !HasExited; waited++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            var now = Total(CpuTime());
            if (now - last < TimeSpan.FromMilliseconds(20))
                return now;
            last = now;
        }
        return last;

        static TimeSpan Total((TimeSpan User, TimeSpan Kernel) cpu) => cpu.User + cpu.Kernel;
    }

    /// <summary>Resident set size now, in bytes (VmRSS in /proc/PID/status).</summary>
    public long ResidentBytes() => ReadStatusKilobytes("VmRSS:") * 1024;

    /// <summary>Resident set size now, or null once the process has gone (its /proc entry, or VmRSS in a zombie's).</summary>
    public long? ResidentBytesIfAlive()
    {
        try
        {
            return HasExited ? null : ResidentBytes();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return null;
        }
    }

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
        _peak = server.ResidentBytesIfAlive() ?? 0;
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
                // A server that dies under the load (the OOM killer, say) keeps the peak it reached.
                if (_server.ResidentBytesIfAlive() is not { } now)
                    return;
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
