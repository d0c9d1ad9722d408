using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Tests.Server;
using ActorEcho.Tests.Support;
using ActorEcho.UdpEcho;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>The UDP instruments on the <c>ActorEcho</c> meter, seen through the kit's <see cref="MetricsCapture"/>.
/// The meter is process-wide, so this runs in the isolated collection.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class UdpMetricsSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigLoader.Defaults, output: output)
{
    [Fact]
    public async Task Every_datagram_is_counted_on_the_ActorEcho_meter_as_echoed_or_dropped_by_reason()
    {
        using var metrics = new MetricsCapture();

        var udp = CreateTestProbe();
        var echo = Sys.ActorOf(UdpEchoListener.Props(new UdpEchoSettings { BindAddress = "127.0.0.1:0", PerSourcePacketsPerSecond = 2 },
            new IPEndPoint(IPAddress.Loopback, 0), udp, new ManualTime()));
        await udp.ExpectMsgAsync<Udp.Bind>();
        udp.Reply(new Udp.Bound(new IPEndPoint(IPAddress.Loopback, 40007)));

        var client = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 50000);
        void Datagram(int size, EndPoint from) => echo.Tell(new Udp.Received(ByteString.FromBytes(new byte[size]), from), udp.Ref);
        Datagram(10, client);
        Datagram(20, client);
        Datagram(30, client);                                                     // source-rate
        Datagram(5000, client);                                                   // too-large
        Datagram(10, new IPEndPoint(IPAddress.Parse("192.0.2.2"), 19));          // refused-port
        udp.Reply((await udp.ExpectMsgAsync<Udp.Send>()).Ack);
        udp.Reply((await udp.ExpectMsgAsync<Udp.Send>()).Ack);
        await AwaitAssertAsync(async () => Assert.Equal(2, (await echo.Ask<UdpEchoProtocol.UdpStats>(UdpEchoProtocol.GetStats.Instance)).Echoed));

        const string dropped = "actorecho.udp.datagrams.dropped";
        Assert.Equal(5, metrics.Total("actorecho.udp.datagrams.received"));
        Assert.Equal(2, metrics.Total("actorecho.udp.datagrams.echoed"));
        Assert.Equal(30, metrics.Total("actorecho.udp.bytes.echoed"));
        Assert.Equal(3, metrics.Total(dropped));
        Assert.Equal(1, metrics.Total(dropped, UdpMetrics.Reasons.SourceRate));
        Assert.Equal(1, metrics.Total(dropped, UdpMetrics.Reasons.TooLarge));
        Assert.Equal(1, metrics.Total(dropped, UdpMetrics.Reasons.RefusedPort));
    }
}
