using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Cli;
using ActorEcho.Tests.Process;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>The built host with UDP on, as a user runs it: serve from a --config file or --udp, client --udp,
/// bench --udp, and the one-line errors.</summary>
public sealed partial class UdpEndToEndSpec : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _files = [];

    [Fact]
    public async Task A_udp_address_in_a_config_file_prints_a_second_line_and_echoes_datagrams()
    {
        var config = await WriteConfigAsync("""
            actor-echo.bind-address = "127.0.0.1:0"
            actor-echo.udp.bind-address = "127.0.0.1:0"
            """);
        await using var host = await HostProcess.StartServerAsync("--config", config);
        var tcp = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        var udp = await WaitUdpListeningAsync(host);
        Assert.Equal(IPAddress.Loopback, udp.Address);
        Assert.NotEqual(0, udp.Port);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var data = LoopbackClient.RandomBytes(1400, 5);
        Assert.Equal(data, await UdpTestSockets.EchoAsync(socket, udp, data, Deadline.After(TimeSpan.FromSeconds(10))));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        // The TCP line exactly as without UDP, first; then the UDP line; nothing else on stdout.
        Assert.Equal($"Listening on {tcp}\nListening on udp {udp}\n", host.StandardOutput);
        Assert.Contains("UDP socket released; 1 datagram(s) received, 1 echoed", host.StandardError);
        Assert.DoesNotContain("[ERROR]", host.StandardError);
    }

    [IPv6LoopbackFact]
    public async Task The_command_line_udp_option_serves_the_ipv6_loopback()
    {
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--udp", "[::1]:0");
        var udp = await WaitUdpListeningAsync(host);
        Assert.Equal(IPAddress.IPv6Loopback, udp.Address);

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["client", "--udp", $"[::1]:{udp.Port}", "hello over udp"], ExitTimeout);
        Assert.True(exitCode == 0, stderr);
        Assert.Equal("hello over udp\n", stdout); // the harness collects stdout by lines
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("[127.0.0.1]:5")]
    public async Task An_invalid_udp_address_gives_one_line_and_exit_code_2(string address)
    {
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--udp", address], ExitTimeout);
        CliAssert.OneLineError(2, exitCode, stderr);
        Assert.True(stdout == "", $"stdout is not empty:\n{stdout}");
    }

    [Fact]
    public async Task A_udp_port_in_use_gives_one_line_and_exit_code_3()
    {
        using var occupant = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        occupant.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)occupant.LocalEndPoint!).Port;

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--udp", $"127.0.0.1:{port}"], ExitTimeout);
        CliAssert.OneLineError(3, exitCode, stderr);
        Assert.True(stdout == "", $"stdout is not empty:\n{stdout}");
        Assert.Contains($"cannot listen on udp 127.0.0.1:{port}", stderr);
        Assert.Contains("in use", stderr);
    }

    [Fact]
    public async Task A_tcp_port_in_use_with_udp_on_gives_one_line_and_exit_code_3()
    {
        using var occupant = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupant.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupant.Listen();
        var port = ((IPEndPoint)occupant.LocalEndPoint!).Port;

        // The UDP socket is bound first and must be released without a word on stdout.
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync([$"127.0.0.1:{port}", "--udp", "127.0.0.1:0"], ExitTimeout);
        CliAssert.OneLineError(3, exitCode, stderr);
        Assert.True(stdout == "", $"stdout is not empty:\n{stdout}");
        Assert.Contains($"127.0.0.1:{port}", stderr);
    }

    [Fact]
    public async Task A_bad_udp_setting_gives_one_line_and_exit_code_2()
    {
        var config = await WriteConfigAsync("""
            actor-echo.udp { bind-address = "127.0.0.1:0", max-datagram-size = 4000 }
            """);
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--config", config], ExitTimeout);
        CliAssert.OneLineError(2, exitCode, stderr);
        Assert.Contains("buffer-size", stderr);
    }

    [Fact]
    public async Task The_udp_client_prints_the_echo_and_bench_checks_every_byte()
    {
        var config = await WriteConfigAsync("""
            actor-echo.udp {
              bind-address = "127.0.0.1:0"
              per-source-packets-per-second = 1000000
              per-source-bytes-per-second = 1 GiB
              global-packets-per-second = 1000000
              global-bytes-per-second = 1 GiB
            }
            """);
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var udp = await WaitUdpListeningAsync(host);

        var client = await HostProcess.RunAsync(["client", "--udp", udp.ToString(), "héllo, udp"], ExitTimeout);
        Assert.True(client.ExitCode == 0, client.Stderr);
        Assert.Equal("héllo, udp\n", client.Stdout); // the harness collects stdout by lines

        var bench = await HostProcess.RunAsync(["bench", "--udp", udp.ToString(), "-c", "2", "-d", "1", "-s", "100", "--json"], ExitTimeout);
        Assert.True(bench.ExitCode == 0, bench.Stderr);
        using var json = JsonDocument.Parse(bench.Stdout);
        var result = json.RootElement;
        Assert.Equal("udp", result.GetProperty("protocol").GetString());
        var sent = result.GetProperty("sent").GetInt64();
        Assert.True(sent > 0);
        Assert.Equal(sent, result.GetProperty("echoed").GetInt64());
        Assert.Equal(0, result.GetProperty("lost").GetInt64());
        Assert.Equal(sent, result.GetProperty("latencyMicroseconds").GetProperty("count").GetInt64());

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task The_udp_client_retries_then_gives_one_line_and_exit_code_3_when_no_echo_comes()
    {
        // A socket that receives and never answers: no ICMP either, so only the timeout can end each attempt.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;

        var clock = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["client", "--udp", $"127.0.0.1:{port}", "anyone?", "--timeout", "200ms", "--retries", "2"], ExitTimeout);
        CliAssert.OneLineError(3, exitCode, stderr);
        Assert.Equal("", stdout);
        Assert.Contains($"no echo from udp 127.0.0.1:{port} after 3 attempt(s)", stderr);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(600), $"gave up after {clock.Elapsed}");
        Assert.Equal(3, DrainDatagrams(silent));
    }

    [Fact]
    public async Task The_udp_client_reports_a_closed_port_at_once()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Dispose(); // now nothing listens there: the kernel answers with ICMP port unreachable

        var (exitCode, _, stderr) = await HostProcess.RunAsync(["client", "--udp", $"127.0.0.1:{port}", "x", "--timeout", "10s"], ExitTimeout);
        CliAssert.OneLineError(3, exitCode, stderr);
        Assert.Contains("port unreachable", stderr);
    }

    private static int DrainDatagrams(Socket socket)
    {
        var count = 0;
        var buffer = new byte[100];
        while (socket.Available > 0)
        {
            socket.Receive(buffer);
            count++;
        }
        return count;
    }

    /// <summary>Waits for the second stdout line, <c>Listening on udp ip:port</c>, which follows the TCP one.</summary>
    private static async Task<IPEndPoint> WaitUdpListeningAsync(HostProcess host)
    {
        await host.WaitListeningAsync(TimeSpan.FromSeconds(30));
        // Printed right after the TCP line; the output reader may deliver it a moment later.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (UdpListeningLine().Match(host.StandardOutput) is { Success: true } match)
                return IPEndPoint.Parse(match.Groups[1].Value);
            await Task.Delay(10);
        }
        throw new InvalidOperationException($"no 'Listening on udp' line:\n{host.StandardOutput}\n{host.StandardError}");
    }

    private async Task<string> WriteConfigAsync(string hocon)
    {
        var path = Path.Combine(Path.GetTempPath(), $"actor-echo-udp-test-{Guid.NewGuid():N}.hocon");
        await File.WriteAllTextAsync(path, hocon);
        _files.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var file in _files)
            File.Delete(file);
    }

    [GeneratedRegex(@"^Listening on udp (\S+)$", RegexOptions.Multiline)]
    private static partial Regex UdpListeningLine();
}
