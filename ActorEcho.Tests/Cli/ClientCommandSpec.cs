using System.Net;
using ActorEcho.Tests.Support;
using ActorEcho.Tests.Process;

namespace ActorEcho.Tests.Cli;

/// <summary><c>client</c> as a user runs it, against an ActorEcho server started by the test.</summary>
public sealed class ClientCommandSpec
{
    [Fact]
    public async Task Sends_the_message_and_prints_exactly_the_echo()
    {
        await using var server = await InProcessEchoServer.StartAsync();

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["client", server.Address(), "hello, echo\n"], CliAssert.ExitTimeout);

        Assert.Equal(0, exitCode);
        Assert.Equal("hello, echo\n", stdout); // no decoration (redirected output is byte-exact; see ClientOutputSpec)
        Assert.Equal("", stderr);
    }

    [IPv6LoopbackFact]
    public async Task Talks_to_an_ipv6_server()
    {
        await using var server = await InProcessEchoServer.StartAsync(address: IPAddress.IPv6Loopback);
        Assert.StartsWith("[::1]:", server.Address());

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["client", server.Address(), "six\n"], CliAssert.ExitTimeout);

        Assert.Equal(0, exitCode);
        Assert.Equal("six\n", stdout); // HostProcess collects whole lines; byte-exactness is ClientOutputSpec's
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Without_a_message_copies_stdin_to_the_server_and_prints_every_reply_then_exits_0_at_eof()
    {
        await using var server = await InProcessEchoServer.StartAsync();

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(
            ["client", server.Address()], CliAssert.ExitTimeout, stdin: "first line\nsecond line\nthird\n");

        Assert.Equal(0, exitCode);
        Assert.Equal("first line\nsecond line\nthird\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Refused_connection_is_one_line_and_exit_code_3()
    {
        var port = LoopbackPorts.Free();

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["client", $"127.0.0.1:{port}", "hi"], CliAssert.ExitTimeout);

        var line = CliAssert.OneLineError(3, exitCode, stderr);
        Assert.Contains("refused", line);
        Assert.Contains($"127.0.0.1:{port}", line);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Unknown_host_is_a_network_error_exit_code_3()
    {
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["client", "no-such-host.invalid:2000", "hi"], CliAssert.ExitTimeout);

        Assert.Contains("no-such-host.invalid", CliAssert.OneLineError(3, exitCode, stderr));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:port")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1:2000")]
    [InlineData("127.0.0.1:0")]
    public async Task Bad_address_is_one_line_and_exit_code_2(string address)
    {
        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["client", address, "hi"], CliAssert.ExitTimeout);

        CliAssert.OneLineError(2, exitCode, stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Echo_that_differs_from_the_message_is_printed_and_exits_4()
    {
        await using var server = FaultyEchoServer.FlippingByte(1);

        var (exitCode, stdout, stderr) = await HostProcess.RunAsync(["client", server.Address, "abc\n"], CliAssert.ExitTimeout);

        Assert.Contains("differs", CliAssert.OneLineError(4, exitCode, stderr));
        Assert.StartsWith("a", stdout); // the echo is still printed, wrong byte and all
        Assert.EndsWith("c\n", stdout);
    }

    [Fact]
    public async Task A_server_that_never_echoes_times_out_with_exit_code_3()
    {
        await using var server = FaultyEchoServer.Silent();

        var (exitCode, _, stderr) = await HostProcess.RunAsync(
            ["client", server.Address, "hello?", "--timeout", "300ms"], CliAssert.ExitTimeout);

        Assert.Contains("no echo", CliAssert.OneLineError(3, exitCode, stderr));
    }

    [Fact]
    public async Task Missing_address_is_a_parse_error_exit_code_2()
    {
        var (exitCode, _, stderr) = await HostProcess.RunAsync(["client"], CliAssert.ExitTimeout);

        CliAssert.ParseError(exitCode, stderr, "Required argument missing");
    }

    [Fact]
    public async Task Help_describes_the_command()
    {
        var (exitCode, stdout, _) = await HostProcess.RunAsync(["client", "--help"], CliAssert.ExitTimeout);

        Assert.Equal(0, exitCode);
        Assert.Contains("--timeout", stdout);
        Assert.Contains("stdin", stdout);
        // serve is only the default command: its listening address is not the client's business.
        Assert.DoesNotContain("listen", stdout, StringComparison.OrdinalIgnoreCase);
    }
}
