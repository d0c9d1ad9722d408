using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActorEcho.Configuration;
using ActorEcho.Tests.Process;
using ActorEcho.Tests.Support;
using ActorEcho.Tests.Tls;

namespace ActorEcho.Tests.Cli;

/// <summary>
/// <c>bench --report FILE.html</c> and <c>bench compare</c> as a person uses them: short runs (a second of warmup, a
/// second measured) against a server in the test process, the report opened in headless Chromium, which must draw
/// both plots with their series, show the warmup, log no console error and fetch nothing.
/// </summary>
public sealed class BenchReportSpec : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    [ToolFact("chromium")]
    public async Task A_tcp_bench_report_draws_latency_by_percentile_and_throughput_with_the_warmup()
    {
        await using var server = await InProcessEchoServer.StartAsync();
        var report = PathOf("tcp.html");

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", server.Address(), "-c", "2", "-d", "1", "-w", "1", "--json", "--report", report], CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("throughput").GetArrayLength() >= 2, stdout);
        Assert.True(json.RootElement.GetProperty("latencyPercentiles").GetArrayLength() >= 2, stdout);
        // The samples' names are their own: bench/tls.sh and bench/udp.sh pick result fields out of the line by name.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(stdout, "\"messagesPerSecond\":"));
        await AssertDrawnAsync(report, runs: 1, warmup: true);
        Assert.Contains(server.Address(), await File.ReadAllTextAsync(report)); // the server's address is in it
    }

    [ToolFact("chromium")]
    public async Task A_udp_bench_report_draws_the_same_plots()
    {
        using var stop = new CancellationTokenSource();
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var echoing = EchoDatagramsAsync(echo, stop.Token);
        var report = PathOf("udp.html");

        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", "--udp", echo.LocalEndPoint!.ToString()!, "-c", "2", "-s", "100", "-d", "1", "-w", "1", "--report", report],
            CliAssert.ExitTimeout);

        await stop.CancelAsync();
        await echoing;
        Assert.True(exitCode == 0, stderr);
        await AssertDrawnAsync(report, runs: 1, warmup: true);
        Assert.Contains("late echoes", await File.ReadAllTextAsync(report));
    }

    [ToolFact("chromium")]
    public async Task A_tls_bench_report_draws_the_same_plots()
    {
        await using var server = await InProcessEchoServer.StartAsync(s => s with
        {
            Tls = new TlsSettings { BindAddress = "127.0.0.1:0", Certificate = TlsSettings.SelfSigned },
        });
        var address = EndpointParser.Format(Assert.IsType<IPEndPoint>(server.TlsLocalEndpoint));
        var report = PathOf("tls.html");

        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", "--tls", "--insecure", address, "-c", "2", "-s", "100", "-d", "1", "-w", "1", "--report", report],
            CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, stderr);
        await AssertDrawnAsync(report, runs: 1, warmup: true);
        Assert.Contains("handshakes", await File.ReadAllTextAsync(report));
    }

    [ToolFact("chromium")]
    public async Task Bench_compare_draws_every_saved_result_on_the_same_plots_with_a_legend()
    {
        await using var server = await InProcessEchoServer.StartAsync();
        foreach (var (name, mode) in new[] { ("pingpong.json", "pingpong"), ("stream.json", "stream") })
        {
            var run = await HostProcess.RunAsync(
                ["bench", server.Address(), "-m", mode, "-c", "2", "-s", "1k", "-d", "1", "--json"], CliAssert.ExitTimeout);
            Assert.True(run.ExitCode == 0, run.Stderr);
            await File.WriteAllTextAsync(PathOf(name), run.Stdout);
        }
        var report = PathOf("compare.html");

        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", "compare", PathOf("pingpong.json"), PathOf("stream.json"), "--label", "before", "--label", "after",
             "--report", report], CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, stderr);
        var drawn = await AssertDrawnAsync(report, runs: 2, warmup: false);
        Assert.Equal(["before", "after"], drawn.Series.Where(s => s.Plot == "latency").Select(s => s.Label));
        Assert.Equal(["before", "after"], drawn.Series.Where(s => s.Plot == "throughput").Select(s => s.Label));
    }

    /// <summary>The report is one self-contained file, and Chromium draws each run's series in both plots.</summary>
    private static async Task<HeadlessChromium.Rendering> AssertDrawnAsync(string report, int runs, bool warmup)
    {
        var html = await File.ReadAllTextAsync(report);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);

        var drawn = await HeadlessChromium.RenderAsync(report);

        Assert.Empty(drawn.ConsoleErrors);
        Assert.Empty(drawn.OtherRequests);
        foreach (var plot in new[] { "latency", "throughput" })
        {
            var series = drawn.Series.Where(s => s.Plot == plot).ToArray();
            Assert.True(series.Length == runs, $"{plot}: {series.Length} series drawn, expected {runs}");
            Assert.All(series, s => Assert.True(s.Points >= 2 && s.Length > 0, $"{plot} '{s.Label}': {s.Points} points, length {s.Length}"));
        }
        Assert.Equal(warmup ? 1 : 0, drawn.WarmupShades);
        return drawn;
    }

    private static async Task EchoDatagramsAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[65_536];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), stop);
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Bad input: one line, exit 2, and before any load (nothing listens on the target: a load would end in exit 3).

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData("tls")]
    public async Task A_report_in_a_directory_that_does_not_exist_is_refused_before_the_load(string protocol)
    {
        var report = Path.Combine(_directory, "no-such-directory", "report.html");

        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", .. ProtocolOption(protocol), UnusedLoopbackAddress(), "-d", "1", "--report", report], CliAssert.ExitTimeout);

        var line = CliAssert.OneLineError(2, exitCode, stderr);
        Assert.Contains("does not exist", line);
        Assert.Contains("no-such-directory", line);
    }

    [Fact]
    public async Task A_report_in_a_directory_that_is_not_writable_is_refused_before_the_load()
    {
        // /sys refuses new files even to root (whom a chmod would not stop).
        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", UnusedLoopbackAddress(), "-d", "1", "--report", "/sys/report.html"], CliAssert.ExitTimeout);

        Assert.Contains("not writable", CliAssert.OneLineError(2, exitCode, stderr));
    }

    [Fact]
    public async Task A_report_path_that_is_a_directory_is_refused_before_the_load()
    {
        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", UnusedLoopbackAddress(), "-d", "1", "--report", _directory], CliAssert.ExitTimeout);

        Assert.Contains("is a directory", CliAssert.OneLineError(2, exitCode, stderr));
    }

    [Theory]
    [InlineData("not JSON at all")]
    [InlineData("{\"hello\": 1}")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"mode\": \"pingpong\", \"messagesPerSecond\": \"fast\", \"latencyMicroseconds\": {}}")]
    [InlineData(null)] // no such file
    public async Task Compare_refuses_a_file_that_is_not_a_bench_json_result_naming_it(string? content)
    {
        var good = PathOf("good.json");
        await File.WriteAllTextAsync(good, BenchResultFileSpec.SampleTcpJson());
        var bad = PathOf("bad-result.json");
        if (content is not null)
            await File.WriteAllTextAsync(bad, content);

        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["bench", "compare", good, bad, "--report", PathOf("cmp.html")], CliAssert.ExitTimeout);

        Assert.Contains("bad-result.json", CliAssert.OneLineError(2, exitCode, stderr));
        Assert.False(File.Exists(PathOf("cmp.html")));
    }

    private static string[] ProtocolOption(string protocol) => protocol switch
    {
        "udp" => ["--udp"],
        "tls" => ["--tls", "--insecure"],
        _ => [],
    };

    /// <summary>A loopback port nothing listens on (TCP and UDP): bound, read, released.</summary>
    private static string UnusedLoopbackAddress()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return probe.LocalEndPoint!.ToString()!;
    }
}
