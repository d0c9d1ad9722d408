using System.Diagnostics.Metrics;
using System.Net;
using ActorEcho.Actors;
using ActorEcho.Diagnostics;
using ActorEcho.Hosting;
using ActorEcho.UdpEcho;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>The meter is process-wide: this collection runs alone, so the sums it sees are this spec's own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UdpMeterCollection
{
    public const string Name = "UDP, process-wide meter";
}

[Collection(UdpMeterCollection.Name)]
public sealed class UdpMetricsSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigLoader.Defaults, output: output)
{
    [Fact]
    public async Task Every_datagram_is_counted_on_the_ActorEcho_meter_as_echoed_or_dropped_by_reason()
    {
        var totals = new Dictionary<(string, string?), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EchoMetrics.MeterName && instrument.Name.StartsWith("actorecho.udp.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (var tag in tags)
                if (tag.Key == "reason")
                    reason = tag.Value as string;
            lock (totals)
                totals[(instrument.Name, reason)] = totals.GetValueOrDefault((instrument.Name, reason)) + value;
        });
        listener.Start();

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
        await AwaitAssertAsync(async () => Assert.Equal(2, (await echo.Ask<UdpEchoListener.UdpStats>(UdpEchoListener.GetStats.Instance)).Echoed));

        lock (totals)
        {
            Assert.Equal(5, totals.GetValueOrDefault(("actorecho.udp.datagrams.received", null)));
            Assert.Equal(2, totals.GetValueOrDefault(("actorecho.udp.datagrams.echoed", null)));
            Assert.Equal(30, totals.GetValueOrDefault(("actorecho.udp.bytes.echoed", null)));
            Assert.Equal(1, totals.GetValueOrDefault(("actorecho.udp.datagrams.dropped", UdpMetrics.Reasons.SourceRate)));
            Assert.Equal(1, totals.GetValueOrDefault(("actorecho.udp.datagrams.dropped", UdpMetrics.Reasons.TooLarge)));
            Assert.Equal(1, totals.GetValueOrDefault(("actorecho.udp.datagrams.dropped", UdpMetrics.Reasons.RefusedPort)));
        }
    }
}
