using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Cli;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Process;

/// <summary>The built host process, as a user runs it: start, echo, graceful shutdown, bad input.</summary>
public sealed class ServeEndToEndSpec
{
    private const int SigInt = 2;
    private const int SigTerm = 15;
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Prints_one_listening_line_with_the_real_port_and_echoes()
    {
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0");
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        Assert.NotEqual(0, endpoint.Port);

        var reply = await EchoOnceAsync(endpoint, "hello\n"u8.ToArray());
        Assert.Equal("hello\n", Encoding.UTF8.GetString(reply));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        // stdout carries that one line and nothing else, so `head -1` in a script gets it; the log is on stderr.
        Assert.Equal($"Listening on {endpoint}", host.StandardOutput.TrimEnd('\n'));
        Assert.Contains("Accepting connection from 127.0.0.1:", host.StandardError);
        Assert.DoesNotContain("[ERROR]", host.StandardError);
        Assert.DoesNotContain("[WARNING]", host.StandardError);
    }

    [Fact]
    public async Task Bind_address_comes_from_the_environment_when_no_argument_is_given()
    {
        await using var host = HostProcess.Start([], new Dictionary<string, string?> { ["ACTOR_ECHO_BIND"] = "127.0.0.1:0" });
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(IPAddress.Loopback, endpoint.Address);
        Assert.Equal("x"u8.ToArray(), await EchoOnceAsync(endpoint, "x"u8.ToArray()));
    }

    [IPv6LoopbackFact]
    public async Task Serves_ipv6_loopback()
    {
        await using var host = await HostProcess.StartServerAsync("[::1]:0");
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(IPAddress.IPv6Loopback, endpoint.Address);
        Assert.Equal("six"u8.ToArray(), await EchoOnceAsync(endpoint, "six"u8.ToArray()));
    }

    [Theory]
    [InlineData(SigTerm)]
    [InlineData(SigInt)]
    public async Task Signal_while_clients_keep_sending_past_the_drain_timeout_echoes_what_was_received_then_fin_and_exits_0(int signal)
    {
        // drain-quiet above drain-timeout: however a loaded machine stalls the clients, they reach the timeout.
        var config = await WriteConfigAsync("actor-echo { drain-timeout = 1s, drain-quiet = 5s }");
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Several clients stream without end, so they are never quiet: they are served until the drain timeout,
        // then get the echo of what the server had received. Each checks that what comes back is exactly a
        // prefix of what it sent and that the stream ends with EOF (FIN), not a reset.
        var clients = Enumerable.Range(0, 4).Select(i => StreamUntilServerClosesAsync(endpoint, seed: i, timeout.Token)).ToArray();
        await Task.WhenAll(clients.Select(c => c.FirstEchoReceived));

        host.Signal(signal);
        var results = await Task.WhenAll(clients.Select(c => c.Completion));
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        Assert.All(results, echoed => Assert.True(echoed > 0));
        Assert.Contains("Drain timeout", host.StandardError);
    }

    [Fact]
    public async Task An_idle_client_that_stays_connected_gets_a_fin_and_holds_the_shutdown_only_for_the_linger()
    {
        var config = await WriteConfigAsync("actor-echo { drain-timeout = 60s, drain-linger = 500ms }");
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var idle = await LoopbackClient.ConnectAsync(endpoint, ct);
        Assert.Equal("abc"u8.ToArray(), await idle.EchoAsync("abc"u8.ToArray(), ct));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        host.Signal(SigTerm);
        // The server's FIN comes first: this client, which never answers it, still sees a clean end of stream.
        Assert.Empty(await idle.ReceiveToEndAsync(ct));
        // Promptly: within drain-quiet (500ms) of its last traffic, not at the drain timeout.
        var fin = clock.Elapsed;
        Assert.True(fin < TimeSpan.FromSeconds(5), $"the idle client's FIN came {fin} after the signal");
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"shutdown took {clock.Elapsed}: it waited for the drain timeout");
    }

    [Fact]
    public async Task Signals_repeated_during_the_drain_change_nothing_and_the_process_still_exits_0()
    {
        // drain-quiet keeps the drain of the idle client going for a while: the repeated signals land in it.
        var config = await WriteConfigAsync("actor-echo { drain-timeout = 60s, drain-quiet = 2s, drain-linger = 500ms }");
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var idle = await LoopbackClient.ConnectAsync(endpoint, ct);
        Assert.Equal("abc"u8.ToArray(), await idle.EchoAsync("abc"u8.ToArray(), ct));

        host.Signal(SigTerm);
        await host.WaitForLineAsync("Draining", ExitTimeout);
        host.Signal(SigInt);
        host.Signal(SigTerm);
        Assert.Empty(await idle.ReceiveToEndAsync(ct));
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
    }

    [Fact]
    public async Task Drain_timeout_aborts_a_connection_that_never_finishes_and_the_process_still_exits_0()
    {
        var config = await WriteConfigAsync("actor-echo.drain-timeout = 500ms");
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var endpoint = await host.WaitListeningAsync(TimeSpan.FromSeconds(5));

        // This client fills the server with data and never reads, so its echo can never be finished.
        using var stuck = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await stuck.ConnectAsync(endpoint);
        var chunk = new byte[64 * 1024];
        using var fill = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (true)
                await stuck.SendAsync(chunk, SocketFlags.None, fill.Token);
        }
        catch (OperationCanceledException)
        {
            // Backpressure reached us: the server stopped reading. That is the state to shut down in.
        }

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        Assert.Contains("Drain timeout", host.StandardOutput + host.StandardError);
    }

    [Theory]
    [InlineData("", false)]
    // 100 million connections x (2 frames + state): terabytes, more than any machine running this has. The open-file
    // limit lowers max-connections (to 823 at 1,024): 64 MiB frames keep even that far above the memory available.
    [InlineData("actor-echo.max-connections = 100000000\nakka.io.tcp { maximum-frame-size = 64 MiB, send-buffer-size = 128 MiB, receive-buffer-size = 128 MiB }", true)]
    // With TLS on, the TLS listener's connections are in the one line.
    [InlineData("actor-echo.tls { bind-address = \"127.0.0.1:0\", certificate = self-signed }", false)]
    public async Task Logs_the_memory_bound_once_at_start_and_warns_when_it_is_above_the_memory_available(string hocon, bool warns)
    {
        var config = await WriteConfigAsync(hocon);
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        await host.WaitForLineAsync("Memory bound: at most", ExitTimeout);
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(ExitTimeout));
        var lines = host.StandardError.Split('\n').Where(line => line.Contains("Memory bound:")).ToList();
        var line = Assert.Single(lines);
        Assert.Contains("available to the process", line);
        Assert.Equal(warns, line.Contains("lower max-connections"));
        // Both listeners' max-connections, each lowered where the open-file limit cannot hold them (DescriptorBound).
        var lowered = Regex.Match(line, @"\+ connections (\d+) \+ tls (\d+)\)");
        var connections = lowered.Success ? int.Parse(lowered.Groups[1].Value) + int.Parse(lowered.Groups[2].Value) : 20000;
        Assert.Equal(hocon.Contains("tls"), line.Contains(" + tls ") && line.Contains($" for {connections} connections "));
        Assert.DoesNotContain("Memory bound", host.StandardOutput);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:port")]
    [InlineData("::1:2000")]
    [InlineData("no-such-host.invalid:2000")]
    public async Task Bad_address_gives_one_line_and_exit_code_2(string address)
    {
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync([address], ExitTimeout);
        CliAssert.OneLineError(2, exitCode, stderr);
        Assert.DoesNotContain("Listening on", stdout);
    }

    [Fact]
    public async Task Port_in_use_gives_one_line_and_exit_code_3()
    {
        using var occupant = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupant.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupant.Listen();
        var port = ((IPEndPoint)occupant.LocalEndPoint!).Port;

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync([$"127.0.0.1:{port}"], ExitTimeout);
        CliAssert.OneLineError(3, exitCode, stderr);
        Assert.Equal("", stdout); // Akka's own bind-failure log, with its stack trace, is not shown either
        Assert.Contains($"127.0.0.1:{port}", stderr);
    }

    [Theory]
    [InlineData("actor-echo { max-connections = ")]
    [InlineData("actor-echo.write-low-watermark = 1 MiB")]
    [InlineData("actor-echo.max-connections = -5")]
    [InlineData("actor-echo.idle-timeout = soon")]
    [InlineData("actor-echo.bind-address = ${?ACTOR_ECHO_BIND}")]
    [InlineData("actor-echo { backlog = 16")]
    [InlineData("actor-echo {\n  backlog = 16\n}\n}")]
    [InlineData("actor-echo.udp.refused-source-ports = [1, 2\nactor-echo.backlog = 16")]
    [InlineData("actor-echo.metrics.prometheus-endpoint = \"http://127.0.0.1:9464/metrics\"")]
    [InlineData("akka.io.tcp.maximum-frame-size = 512 KiB")]
    [InlineData("akka.actor.default-dispatcher.executor = no-such-executor")]
    public async Task Invalid_config_file_gives_one_line_and_exit_code_2(string hocon)
    {
        var config = await WriteConfigAsync(hocon);
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--config", config], ExitTimeout);
        CliAssert.OneLineError(2, exitCode, stderr);
    }

    [Fact]
    public async Task A_misspelt_key_gives_one_line_naming_it_and_the_nearest_known_key_and_exit_code_2()
    {
        var config = await WriteConfigAsync("actor-echo.max-conections = 5");
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["127.0.0.1:0", "--config", config], ExitTimeout);
        var line = CliAssert.OneLineError(2, exitCode, stderr);
        Assert.Contains("'actor-echo.max-conections'", line);
        Assert.Contains("did you mean 'actor-echo.max-connections'", line);
        Assert.DoesNotContain("Listening on", stdout);
    }

    [Fact]
    public async Task Missing_config_file_gives_one_line_and_exit_code_2()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"actor-echo-missing-{Guid.NewGuid():N}.hocon");
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["--config", missing], ExitTimeout);
        CliAssert.OneLineError(2, exitCode, stderr);
        Assert.Contains(missing, stderr);
    }

    private static async Task<string> WriteConfigAsync(string hocon)
    {
        var path = Path.Combine(Path.GetTempPath(), $"actor-echo-test-{Guid.NewGuid():N}.hocon");
        await File.WriteAllTextAsync(path, hocon);
        return path;
    }

    private static async Task<byte[]> EchoOnceAsync(IPEndPoint endpoint, byte[] data)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(10));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        return await client.EchoWithHalfCloseAsync(data, ct);
    }

    private sealed record StreamingClient(Task FirstEchoReceived, Task<long> Completion);

    /// <summary>Sends a deterministic byte stream until the server closes; returns how many bytes came back,
    /// having checked each against what was sent.</summary>
    private static StreamingClient StreamUntilServerClosesAsync(IPEndPoint endpoint, int seed, CancellationToken cancellation)
    {
        var firstEcho = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new StreamingClient(firstEcho.Task, RunAsync());

        static byte Pattern(long position, int seed) => (byte)((position * 31 + seed * 7 + (position >> 11)) & 0xFF);

        async Task<long> RunAsync()
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, cancellation);
            using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellation);

            var sender = Task.Run(async () =>
            {
                var chunk = new byte[16 * 1024];
                long position = 0;
                try
                {
                    while (!stopSending.IsCancellationRequested)
                    {
                        for (var i = 0; i < chunk.Length; i++)
                            chunk[i] = Pattern(position + i, seed);
                        await socket.SendAsync(chunk, SocketFlags.None, stopSending.Token);
                        position += chunk.Length;
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // The server closed, or we stopped: sending ends here either way.
                }
            }, CancellationToken.None);

            var buffer = new byte[64 * 1024];
            long echoed = 0;
            try
            {
                while (true)
                {
                    // A reset here (SocketException) fails the test: the server must end with FIN.
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation);
                    if (read == 0)
                        break;
                    for (var i = 0; i < read; i++)
                        if (buffer[i] != Pattern(echoed + i, seed))
                            throw new InvalidDataException($"client {seed}: echo differs at byte {echoed + i}");
                    echoed += read;
                    firstEcho.TrySetResult();
                }
            }
            finally
            {
                firstEcho.TrySetResult();
                await stopSending.CancelAsync();
                await sender;
            }
            // Our FIN lets the server's confirmed close complete.
            socket.Shutdown(SocketShutdown.Both);
            return echoed;
        }
    }
}
