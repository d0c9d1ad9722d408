using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorEcho.TcpEcho;
using Akka.Actor;

namespace ActorEcho.Hosting.Tests;

/// <summary>The listener in the hosted system: found in the ActorRegistry, bound on loopback with a real port, and
/// echoing over a real socket.</summary>
public sealed class HostedListenerSpec : EchoHostSpec
{
    [Fact]
    public async Task The_registered_listener_is_bound_on_loopback_and_echoes_over_a_socket()
    {
        var listener = await ActorRegistry.GetAsync<EchoListener>(Timeout());

        var bound = await listener.Ask<EchoProtocol.BindResult>(EchoProtocol.GetBindResult.Instance, Bound, TestContext.Current.CancellationToken);

        var local = Assert.IsType<IPEndPoint>(Assert.IsType<EchoProtocol.BindSucceeded>(bound).LocalAddress);
        Assert.Equal(IPAddress.Loopback, local.Address);
        Assert.NotEqual(0, local.Port);
        Assert.Equal(local, Echo.LocalEndpoint);
        Assert.Equal(listener, Echo.Listener);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(local, Timeout());
        var sent = Encoding.ASCII.GetBytes("hello, hosted echo\n");
        await client.SendAsync(sent, SocketFlags.None, Timeout());
        Assert.Equal(sent, await HostedClient.ReadExactlyAsync(client, sent.Length, Timeout()));
    }

    [Fact]
    public void Readiness_is_serving_once_the_host_has_started()
    {
        Assert.True(Echo.Readiness.IsReady);
        Assert.True(Echo.Readiness.IsLive);
    }
}
