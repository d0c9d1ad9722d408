using System.Net.Sockets;
using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>Starting on an address that another socket already listens on.</summary>
public sealed class BindFailureSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task The_listener_reports_BindFailed_when_the_port_is_in_use()
    {
        using var occupant = ListenOnFreePort(out var taken);

        var listener = Sys.ActorOf(EchoListener.Props(Settings(), taken));
        var result = await BindResultAsync(listener);

        var failed = Assert.IsType<EchoProtocol.BindFailed>(result);
        Assert.Contains(taken.ToString(), failed.Reason);
    }

    [Fact]
    public async Task The_server_fails_to_start_with_BindFailedException_when_the_port_is_in_use()
    {
        using var occupant = ListenOnFreePort(out var taken);

        var failure = await Assert.ThrowsAsync<BindFailedException>(
            () => EchoServer.StartAsync(ConfigLoader.Defaults, Settings(), taken));
        Assert.Contains(taken.ToString(), failure.Message);

        // The occupant is untouched: it still accepts.
        using var client = await LoopbackClient.ConnectAsync(taken, Deadline.After(Patience));
        using var accepted = await occupant.AcceptAsync(Deadline.After(Patience));
    }

    private static Socket ListenOnFreePort(out IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen();
        endpoint = (IPEndPoint)socket.LocalEndPoint!;
        return socket;
    }
}
