using System.Net;
using ActorEcho.Hosting;
using ActorEcho.TcpEcho;
using ActorEcho.UdpEcho;
using Akka.TestKit.Xunit2;

namespace ActorEcho.Tests.Hosting;

/// <summary>The one routine the host waits for every bind with (TCP, TLS, UDP): a failed bind, or none answered in
/// time, is a <see cref="BindFailedException"/>, which <c>serve</c> reports as exit code 3.</summary>
public sealed class ListenerBindSpec : TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_listener_that_does_not_answer_in_time_is_a_bind_failure_naming_the_address()
    {
        var silent = CreateTestProbe();

        var failure = await Assert.ThrowsAsync<BindFailedException>(() => ListenerBind.AwaitAsync(
            silent.Ref, EchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(1), "127.0.0.1:2443", prefix: "tls: "));

        Assert.Equal("tls: cannot listen on 127.0.0.1:2443: no answer within 1 s", failure.Message);
    }

    [Fact]
    public async Task A_failed_bind_is_a_bind_failure_with_the_listeners_reason()
    {
        var listener = CreateTestProbe();

        var bind = ListenerBind.AwaitAsync(listener.Ref, EchoProtocol.GetBindResult.Instance, Patience, "127.0.0.1:2443", prefix: "tls: ");
        listener.ExpectMsg<EchoProtocol.GetBindResult>();
        listener.Reply(new EchoProtocol.BindFailed("cannot listen on 127.0.0.1:2443: in use"));

        var failure = await Assert.ThrowsAsync<BindFailedException>(() => bind);
        Assert.Equal("tls: cannot listen on 127.0.0.1:2443: in use", failure.Message);
    }

    [Fact]
    public async Task Each_listeners_typed_answer_gives_the_address_bound()
    {
        var tcp = CreateTestProbe();
        var udp = CreateTestProbe();
        var tcpAddress = new IPEndPoint(IPAddress.Loopback, 40001);
        var udpAddress = new IPEndPoint(IPAddress.Loopback, 40002);

        var tcpBind = ListenerBind.AwaitAsync(tcp.Ref, EchoProtocol.GetBindResult.Instance, Patience, "127.0.0.1:0");
        tcp.ExpectMsg<EchoProtocol.GetBindResult>();
        tcp.Reply(new EchoProtocol.BindSucceeded(tcpAddress));
        var udpBind = ListenerBind.AwaitAsync(udp.Ref, UdpEchoProtocol.GetBindResult.Instance, Patience, "udp 127.0.0.1:0");
        udp.ExpectMsg<UdpEchoProtocol.GetBindResult>();
        udp.Reply(new UdpEchoProtocol.BindSucceeded(udpAddress));

        Assert.Equal(tcpAddress, await tcpBind);
        Assert.Equal(udpAddress, await udpBind);
    }
}
