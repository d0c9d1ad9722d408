using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Networking;
using ActorEcho.UdpEcho;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>
/// Akka.IO 1.5.74 restarts its UDP listener actor when a send throws, and the restarted actor binds a new socket
/// (and announces it with a second <c>Bound</c>) or fails to and stops. Either way the advertised port no longer
/// echoes: the server must shut down (exit code 3), not carry on deaf or on another port. Each spec here ends
/// its own actor system.
/// </summary>
public sealed class UdpSocketLostSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigLoader.Defaults.WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.coordinated-shutdown.exit-clr = off")), output: output)
{
    private async Task<(IActorRef Echo, Akka.TestKit.TestProbe Udp)> StartAsync()
    {
        var udp = CreateTestProbe();
        var echo = Sys.ActorOf(UdpEchoListener.Props(new UdpEchoSettings { BindAddress = "127.0.0.1:0" }, new IPEndPoint(IPAddress.Loopback, 0), udp, new ManualTime()));
        await udp.ExpectMsgAsync<Udp.Bind>();
        udp.Reply(new Udp.Bound(new IPEndPoint(IPAddress.Loopback, 40007)));
        await echo.Ask<UdpEchoProtocol.BindSucceeded>(UdpEchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(5));
        return (echo, udp);
    }

    private async Task AssertShutDownForLostSocketAsync()
    {
        await Sys.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(20));
        var reason = Assert.IsType<ListeningSocketLost>(CoordinatedShutdown.Get(Sys).ShutdownReason);
        Assert.Equal(3, reason.ExitCode);
        Assert.Contains("the UDP socket on 127.0.0.1:40007 failed", reason.Message);
    }

    [Fact]
    public async Task A_second_bound_means_Akka_re_bound_elsewhere_and_the_server_shuts_down()
    {
        var (_, udp) = await StartAsync();
        udp.Reply(new Udp.Bound(new IPEndPoint(IPAddress.Loopback, 40008)));
        await AssertShutDownForLostSocketAsync();
    }

    [Fact]
    public async Task The_death_of_Akkas_udp_listener_shuts_the_server_down()
    {
        var (_, udp) = await StartAsync();
        Sys.Stop(udp.Ref);
        await AssertShutDownForLostSocketAsync();
    }
}
