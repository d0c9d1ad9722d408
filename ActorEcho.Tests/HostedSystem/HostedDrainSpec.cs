using System.Net.Sockets;
using System.Text;
using Akka.Actor;

namespace ActorEcho.Hosting.Tests;

/// <summary>CoordinatedShutdown of the hosted system drains: a connected client gets the echo of what it sent, then
/// the server's FIN, and only then does the listener stop.</summary>
public sealed class HostedDrainSpec : EchoHostSpec
{
    [Fact]
    public async Task A_connected_client_gets_its_echo_and_a_FIN_before_the_listener_stops()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(Echo.LocalEndpoint, Timeout());
        // One round trip first, so that the server has the connection before shutdown begins.
        var first = Encoding.ASCII.GetBytes("first\n");
        await client.SendAsync(first, SocketFlags.None, Timeout());
        Assert.Equal(first, await HostedClient.ReadExactlyAsync(client, first.Length, Timeout()));
        await WatchAsync(Echo.Listener);

        var last = Encoding.ASCII.GetBytes("last words, sent as shutdown begins\n");
        await client.SendAsync(last, SocketFlags.None, Timeout());
        var shutdown = CoordinatedShutdown.Get(Sys).Run(EchoServer.ServerStopReason.Instance);

        // The echo, then end of stream (FIN): a reset or lost bytes fail here.
        Assert.Equal(last, await HostedClient.ReadToEndAsync(client, Timeout()));
        client.Close();

        await ExpectTerminatedAsync(Echo.Listener, Bound, cancellationToken: TestContext.Current.CancellationToken);
        await shutdown.WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.False(Echo.Readiness.IsReady);
    }
}
