using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace ActorEcho.Tests.Process;

/// <summary>
/// The built ActorEcho host (ActorEcho.dll, copied beside the tests) run as a separate process, the way a user
/// runs it. Output is collected line by line so a test can wait for a line rather than sleep.
/// </summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(System.Diagnostics.Process process) => _process = process;

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "ActorEcho.dll");

    public int Id => _process.Id;
    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }
    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Starts the host with <paramref name="arguments"/>; stdin is closed at once unless kept open.
    /// <paramref name="openFileLimit"/>, if given, is the host's <c>ulimit -n</c> (set through bash).</summary>
    public static HostProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null,
        bool keepStdinOpen = false, int? openFileLimit = null)
    {
        var start = new ProcessStartInfo(openFileLimit is null ? DotnetPath : "bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Run from somewhere unrelated: the host must find its settings beside its binary, not in the cwd.
            WorkingDirectory = Path.GetTempPath(),
        };
        if (openFileLimit is { } limit)
        {
            foreach (var word in new[] { "-c", $"ulimit -n {limit} && exec \"$0\" \"$@\"", DotnetPath })
                start.ArgumentList.Add(word);
        }
        start.ArgumentList.Add(HostDll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment.Remove("ACTOR_ECHO_BIND");
        if (environment is not null)
            foreach (var (key, value) in environment)
                start.Environment[key] = value;

        var process = new System.Diagnostics.Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => host.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => host.OnLine(host._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!keepStdinOpen)
            process.StandardInput.Close();
        return host;
    }

    /// <summary>Starts a server on <c>127.0.0.1:0</c> (or <paramref name="arguments"/>) and waits for its
    /// <c>Listening on</c> line.</summary>
    public static async Task<HostProcess> StartServerAsync(params string[] arguments)
    {
        var host = Start(arguments.Length == 0 ? ["127.0.0.1:0"] : arguments);
        try
        {
            await host.WaitListeningAsync(TimeSpan.FromSeconds(30));
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async Task<IPEndPoint> WaitListeningAsync(TimeSpan timeout)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_listening.Task, exited).WaitAsync(timeout);
        if (first != _listening.Task)
            throw new InvalidOperationException(
                $"host exited with {_process.ExitCode} before listening:\n{StandardOutput}\n{StandardError}");
        return await _listening.Task;
    }

    /// <summary>Sends a POSIX signal (SIGTERM = 15, SIGINT = 2) to the host.</summary>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the host to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        // The parameterless wait also drains the redirected output streams.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Runs the host to completion with <paramref name="arguments"/> and optional stdin text.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null,
        IDictionary<string, string?>? environment = null)
    {
        await using var host = Start(arguments, environment, keepStdinOpen: stdin is not null);
        if (stdin is not null)
        {
            await host._process.StandardInput.WriteAsync(stdin);
            host._process.StandardInput.Close();
        }
        var exitCode = await host.WaitForExitAsync(timeout);
        return (exitCode, host.StandardOutput, host.StandardError);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        OnLine(_stdout, line);
        if (line is null)
            return;
        var match = ListeningLine().Match(line);
        if (match.Success)
            _listening.TrySetResult(IPEndPoint.Parse(match.Groups[1].Value));
    }

    private void OnLine(StringBuilder buffer, string? line)
    {
        if (line is null)
            return;
        lock (buffer)
            buffer.AppendLine(line);
    }

    private static string DotnetPath =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path)
            ? path
            : "dotnet";

    [GeneratedRegex(@"^Listening on (\S+)$")]
    private static partial Regex ListeningLine();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
