using System.Text.Json;
using Akka.Actor;
using ActorEcho.Tests.Process;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Cli;

/// <summary><c>bench</c> as a user runs it: short runs against ActorEcho, and against servers that echo wrong.</summary>
public sealed class BenchCommandSpec
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("pingpong", "64")]
    [InlineData("stream", "4k")]
    [InlineData("pingpong", "1m")] // larger than the socket buffers: sending and receiving must overlap
    public async Task Json_result_has_messages_rates_and_latency_and_nothing_else_is_on_stdout(string mode, string size)
    {
        await using var server = await InProcessEchoServer.StartAsync();

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", server.Address(), "--mode", mode, "--connections", "4", "--size", size, "--duration", "1", "--json"],
            CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr:\n{stderr}");
        using var json = JsonDocument.Parse(stdout); // throws if anything but one JSON document is on stdout
        var result = json.RootElement;
        Assert.Equal(mode, result.GetProperty("mode").GetString());
        Assert.Equal(4, result.GetProperty("connections").GetInt32());
        Assert.Equal(0, result.GetProperty("errors").GetInt32());
        var messages = result.GetProperty("messages").GetInt64();
        Assert.True(messages > 0, "no message was echoed");
        Assert.True(result.GetProperty("messagesPerSecond").GetDouble() > 0);
        Assert.True(result.GetProperty("bytesReceived").GetInt64() > 0);
        Assert.True(result.GetProperty("receivedMegabytesPerSecond").GetDouble() > 0);
        Assert.True(result.GetProperty("sentMegabytesPerSecond").GetDouble() > 0);
        Assert.True(result.GetProperty("connectionsPerSecond").GetDouble() > 0);

        var latency = result.GetProperty("latencyMicroseconds");
        Assert.Equal(messages, latency.GetProperty("count").GetInt64());
        var percentiles = new[] { "p50", "p90", "p99", "p999", "max" }.Select(p => latency.GetProperty(p).GetDouble()).ToArray();
        Assert.True(percentiles[0] > 0);
        Assert.Equal(percentiles.Order(), percentiles); // p50 <= p90 <= p99 <= p99.9 <= max
        Assert.Equal("", stderr); // stderr is redirected here: no progress line
    }

    [Fact]
    public async Task Ctrl_c_ends_the_run_early_and_still_reports_what_was_measured()
    {
        await using var server = FaultyEchoServer.Faithful();
        await using var bench = HostProcess.Start(
            ["bench", server.Address, "-c", "3", "-d", "60", "--json"]);

        // Without warmup the measured period starts before the first message is sent, so once the server has
        // bytes the run is measuring. (A count of accepted connections is not enough: the server can see them
        // before the bench's own connects have completed and its clock has started.)
        await server.FirstBytesReceived.WaitAsync(TimeSpan.FromSeconds(20));
        bench.Signal(2); // SIGINT, as Ctrl-C sends

        Assert.Equal(0, await bench.WaitForExitAsync(CliAssert.ExitTimeout));
        using var json = JsonDocument.Parse(bench.StandardOutput);
        var result = json.RootElement;
        Assert.True(result.GetProperty("interrupted").GetBoolean());
        var measured = result.GetProperty("durationSeconds").GetDouble();
        Assert.InRange(measured, 0.0001, 30);
        Assert.Equal(result.GetProperty("messages").GetInt64(), result.GetProperty("latencyMicroseconds").GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Running_out_of_file_descriptors_is_one_line_not_a_stack_trace()
    {
        await using var server = await InProcessEchoServer.StartAsync();
        await using var bench = HostProcess.Start(
            ["bench", server.Address(), "-c", "400", "-d", "1"], openFileLimit: 300);

        var exitCode = await bench.WaitForExitAsync(CliAssert.ExitTimeout);

        var line = CliAssert.OneLineError(3, exitCode, bench.StandardError);
        Assert.Contains("socket", line);
    }

    [IPv6LoopbackFact]
    public async Task Loads_an_ipv6_server()
    {
        await using var server = await InProcessEchoServer.StartAsync(address: System.Net.IPAddress.IPv6Loopback);

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", server.Address(), "-c", "2", "-d", "500ms", "--json"], CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr:\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(server.Address(), json.RootElement.GetProperty("target").GetString());
        Assert.True(json.RootElement.GetProperty("messages").GetInt64() > 0);
    }

    [Fact]
    public async Task Text_report_states_both_directions_and_the_percentiles()
    {
        await using var server = await InProcessEchoServer.StartAsync();

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", server.Address(), "-c", "2", "-d", "500ms", "--warmup", "200ms"], CliAssert.ExitTimeout);

        Assert.True(exitCode == 0, $"exit code {exitCode}; stderr:\n{stderr}");
        Assert.Contains("msg/s", stdout);
        Assert.Contains("connections/s", stdout);
        Assert.Contains("sent", stdout);
        Assert.Contains("received", stdout);
        Assert.Contains("p99.9", stdout);
        Assert.DoesNotContain("\r", stdout);
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("stream")]
    public async Task A_server_that_flips_a_byte_is_caught_with_one_line_and_exit_code_4(string mode)
    {
        await using var server = FaultyEchoServer.FlippingByte(5000);

        var (exitCode, stdout, stderr) = await BenchAgainstAsync(server, mode, "--json");

        var line = CliAssert.OneLineError(4, exitCode, stderr);
        Assert.Contains("mismatch", line);
        Assert.Contains("at byte 5000", line);
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("stream")]
    public async Task A_server_that_closes_early_is_a_network_error_exit_code_3(string mode)
    {
        await using var server = FaultyEchoServer.ClosingAfter(10_000);

        var (exitCode, stdout, stderr) = await BenchAgainstAsync(server, mode);

        CliAssert.OneLineError(3, exitCode, stderr);
        Assert.Equal("", stdout);
    }

    /// <summary>A short bench against a faulty server: two connections, 1000-byte messages, at most 5 s.</summary>
    private static Task<(int ExitCode, string Stdout, string Stderr)> BenchAgainstAsync(FaultyEchoServer server, string mode, params string[] more) =>
        HostProcess.RunAsync(["bench", server.Address, "--mode", mode, "-c", "2", "-s", "1000", "-d", "5", .. more], CliAssert.ExitTimeout);

    [Fact]
    public async Task A_server_that_stops_echoing_ends_the_run_by_itself_with_exit_code_3()
    {
        await using var server = FaultyEchoServer.Silent();

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", server.Address, "-c", "2", "-d", "500ms", "--json"], CliAssert.ExitTimeout);

        Assert.Contains("stopped echoing", CliAssert.OneLineError(3, exitCode, stderr));
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Refused_connections_are_one_line_and_exit_code_3()
    {
        var port = LoopbackPorts.Free();

        var (exitCode, _, stderr) = await HostProcess.RunAsync(["bench", $"127.0.0.1:{port}", "-d", "1"], CliAssert.ExitTimeout);

        Assert.Contains("refused", CliAssert.OneLineError(3, exitCode, stderr));
    }

    [Theory]
    [InlineData("--connections 0", "--connections must be from 1")]
    [InlineData("--mode foo", "'foo'")]
    [InlineData("--size 0", "--size must be from 1 byte")]
    [InlineData("--size lots", "Invalid size 'lots'")]
    [InlineData("--duration 0", "--duration must be more than 0")]
    [InlineData("--duration soon", "Invalid duration 'soon'")]
    [InlineData("--mode stream --size 64k --window 1k", "--window must be at least --size")]
    public async Task Bad_arguments_are_parse_errors_with_exit_code_2(string arguments, string message)
    {
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["bench", "127.0.0.1:9", .. arguments.Split(' ')], CliAssert.ExitTimeout);

        CliAssert.ParseError(exitCode, stderr, message);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Bad_address_is_one_line_and_exit_code_2()
    {
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["bench", "localhost", "-d", "1"], CliAssert.ExitTimeout);

        CliAssert.OneLineError(2, exitCode, stderr);
    }

    [Fact]
    public async Task Subcommand_names_win_over_the_serve_address_argument()
    {
        var (exitCode, stdout, _) = await HostProcess.RunAsync(["bench", "--help"], CliAssert.ExitTimeout);

        Assert.Equal(0, exitCode);
        Assert.Contains("--connections", stdout);
        Assert.Contains("--window", stdout);
    }
}
