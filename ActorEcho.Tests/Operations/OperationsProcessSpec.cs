using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Cli;
using ActorEcho.Tests.Process;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Operations;

/// <summary>
/// The built host as a process, as an operator runs it: SIGTERM with a lame duck and the HTTP endpoint,
/// SO_REUSEPORT shared by two processes, and a bad or busy <c>http-endpoint</c>.
/// </summary>
public sealed partial class OperationsProcessSpec : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-ops-").FullName;

    [Fact]
    public async Task Sigterm_starts_a_lame_duck_that_reports_not_ready_and_still_echoes_a_new_client_then_exits_0()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var config = Config("actor-echo { http-endpoint = \"http://127.0.0.1:0\", lame-duck = 5s }");
        await using var host = HostProcess.Start(["127.0.0.1:0", "--config", config]);
        var endpoint = await host.WaitListeningAsync(Patience);
        var http = new Uri(await WaitForStderrAsync(host, HttpLine(), ct));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(http, "/ready"), ct)).StatusCode);

        var clock = Stopwatch.StartNew();
        host.Signal(SigTerm);
        await WaitForStderrAsync(host, LameDuckLine(), ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri(http, "/ready"), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(http, "/live"), ct)).StatusCode);
        using (var late = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(64 * 1024, seed: 7);
            await late.AssertHalfCloseEchoAsync(data, ct);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"served only after the lame duck ({clock.Elapsed})");

        Assert.Equal(0, await host.WaitForExitAsync(Patience));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4.9), $"exited {clock.Elapsed} after SIGTERM, within the lame duck");
        Assert.DoesNotContain("[ERROR]", host.StandardError);
        Assert.DoesNotContain("[WARNING]", host.StandardError);
    }

    [Fact]
    public async Task With_reuse_port_two_processes_listen_on_one_port_and_both_serve()
    {
        if (!OperatingSystem.IsLinux())
            return; // SO_REUSEPORT as used here is Linux's; elsewhere the setting is refused (see the settings spec)
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var config = Config("actor-echo.reuse-port = on");
        await using var first = HostProcess.Start(["127.0.0.1:0", "--config", config]);
        var endpoint = await first.WaitListeningAsync(Patience);
        await using var second = HostProcess.Start([endpoint.ToString(), "--config", config]);
        Assert.Equal(endpoint, await second.WaitListeningAsync(Patience));

        // The kernel picks a listener by a hash of the client's address and port: 40 clients all landing on one of
        // two processes would happen once in 2^39 runs.
        const int clients = 40;
        for (var i = 0; i < clients; i++)
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            var data = LoopbackClient.RandomBytes(1000, seed: i);
            await client.AssertHalfCloseEchoAsync(data, ct);
        }

        first.Signal(SigTerm);
        second.Signal(SigTerm);
        Assert.Equal(0, await first.WaitForExitAsync(Patience));
        Assert.Equal(0, await second.WaitForExitAsync(Patience));
        var (a, b) = (Accepted(first), Accepted(second));
        Assert.Equal(clients, a + b);
        Assert.True(a > 0 && b > 0, $"one process served every client: {a} and {b}");
    }

    [Fact]
    public async Task Without_reuse_port_a_second_process_on_the_port_fails_with_one_line()
    {
        await using var first = await HostProcess.StartServerAsync("127.0.0.1:0");
        var endpoint = await first.WaitListeningAsync(Patience);
        var (exitCode, _, stderr) = await HostProcess.RunAsync([endpoint.ToString()], Patience);
        Assert.Contains("cannot listen on", CliAssert.OneLineError(3, exitCode, stderr));
    }

    [Theory]
    [InlineData("\"https://127.0.0.1:9464\"")]
    [InlineData("\"http://example.com:9464\"")]
    [InlineData("\"http://127.0.0.1:9464/health\"")]
    [InlineData("9464")]
    public async Task A_malformed_http_endpoint_is_one_line_and_exit_2(string value)
    {
        var config = Config($"actor-echo.http-endpoint = {value}");
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--config", config], Patience);
        Assert.Contains("actor-echo.http-endpoint must be 'off' or a URL", CliAssert.OneLineError(2, exitCode, stderr));
    }

    [Fact]
    public async Task A_busy_http_endpoint_is_one_line_and_exit_3()
    {
        using var occupant = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var config = Config($"actor-echo.http-endpoint = \"http://127.0.0.1:{port}\"");
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--config", config], Patience);
        Assert.Equal($"actor-echo: cannot serve HTTP on http://127.0.0.1:{port}: Address already in use",
            CliAssert.OneLineError(3, exitCode, stderr));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Config(string hocon)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.hocon");
        File.WriteAllText(path, hocon);
        return path;
    }

    private static int Accepted(HostProcess host) =>
        Regex.Matches(host.StandardError, "Accepting connection from").Count;

    /// <summary>Waits for a line of the host's log (stderr) that <paramref name="pattern"/> matches and returns its
    /// first group. The log is another process's output: reading it as it grows is the only way to see it.</summary>
    private static async Task<string> WaitForStderrAsync(HostProcess host, Regex pattern, CancellationToken ct)
    {
        while (true)
        {
            var match = pattern.Match(host.StandardError);
            if (match.Success)
                return match.Groups[1].Value;
            await Task.Delay(20, ct);
        }
    }

    [GeneratedRegex(@"Serving HTTP on (http://\S+)")]
    private static partial Regex HttpLine();

    [GeneratedRegex(@"(Lame duck): reporting not ready")]
    private static partial Regex LameDuckLine();
}
