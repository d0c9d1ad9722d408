using System.Net;
using ActorEcho.Configuration;
using ActorEcho.UdpEcho;
using Akka;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorEcho.UdpEcho.UdpMetrics.Reasons;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>
/// <see cref="UdpEchoListener"/> with a <see cref="TestProbe"/> standing in for Akka.IO's UDP manager and
/// listener: the probe sees every <c>Bind</c>, <c>Send</c> and <c>Unbind</c>, and plays the datagrams and acks.
/// The rate limits run on a <see cref="ManualTime"/>, so their counts are exact.
/// </summary>
public sealed class UdpEchoListenerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigLoader.Defaults, output: output)
{
    private static readonly IPEndPoint Bound = new(IPAddress.Loopback, 40007);
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.10"), 50000);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    private static readonly UdpEchoSettings Settings = new()
    {
        BindAddress = "127.0.0.1:0",
        MaxDatagramSize = 1000,
        PerSourcePacketsPerSecond = 5,
        PerSourceBytesPerSecond = 100_000,
        GlobalPacketsPerSecond = 1000,
        GlobalBytesPerSecond = 1_000_000,
    };

    private readonly ManualTime _time = new();

    private async Task<(IActorRef Echo, TestProbe Udp)> StartAsync(UdpEchoSettings? settings = null)
    {
        var udp = CreateTestProbe();
        var echo = Sys.ActorOf(UdpEchoListener.Props(settings ?? Settings, new IPEndPoint(IPAddress.Loopback, 0), udp, _time));
        var bind = await udp.ExpectMsgAsync<Udp.Bind>();
        Assert.Equal(echo, bind.Handler);
        udp.Reply(new Udp.Bound(Bound));
        var result = await echo.Ask<UdpEchoProtocol.BindSucceeded>(UdpEchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal(Bound, result.LocalAddress);
        return (echo, udp);
    }

    private static ByteString Bytes(int count, int seed = 1)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return ByteString.FromBytes(data);
    }

    /// <summary>Plays a datagram from <paramref name="from"/> as Akka.IO would (the probe as its sender).</summary>
    private static void Datagram(TestProbe udp, IActorRef echo, ByteString data, EndPoint from) =>
        echo.Tell(new Udp.Received(data, from), udp.Ref);

    /// <summary>Expects the echo of <paramref name="data"/> to <paramref name="to"/> and acknowledges it.</summary>
    private static async Task ExpectEchoAsync(TestProbe udp, ByteString data, EndPoint to, bool ack = true)
    {
        var send = await udp.ExpectMsgAsync<Udp.Send>();
        Assert.Equal(to, send.Target);
        Assert.True(data.Equals(send.Payload), "the echo differs from the datagram");
        Assert.True(send.WantsAck, "every echo asks for an acknowledgement");
        if (ack)
            udp.Reply(send.Ack);
    }

    private static Task<UdpEchoProtocol.UdpStats> StatsAsync(IActorRef echo) =>
        echo.Ask<UdpEchoProtocol.UdpStats>(UdpEchoProtocol.GetStats.Instance, TimeSpan.FromSeconds(5));

    [Fact]
    public async Task Datagrams_that_find_a_backlog_above_max_pending_datagrams_are_dropped_unread()
    {
        // The listener's clock holds it inside its first datagram while 100 more queue up behind it.
        var clock = new HeldTime();
        var udp = CreateTestProbe();
        var echo = Sys.ActorOf(UdpEchoListener.Props(Settings with { MaxPendingDatagrams = 10, PerSourcePacketsPerSecond = 1000 },
            new IPEndPoint(IPAddress.Loopback, 0), udp, clock));
        await udp.ExpectMsgAsync<Udp.Bind>();
        udp.Reply(new Udp.Bound(Bound));
        var data = Bytes(10);
        clock.Hold();
        Datagram(udp, echo, data, Client);
        await clock.Held.WaitAsync(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 100; i++)
            Datagram(udp, echo, data, Client);
        clock.Release();
        // The second datagram's probe came back behind the other 99: a backlog of 99 > 10 is measured, and the
        // next datagram is dropped unread; its own probe finds the mailbox empty, so the one after is echoed.
        Assert.Equal(0, (await StatsAsync(echo)).DroppedFor(ReceiveBacklog));
        Datagram(udp, echo, data, Client);
        Assert.Equal(1, (await StatsAsync(echo)).DroppedFor(ReceiveBacklog));
        Datagram(udp, echo, data, Client);
        var stats = await StatsAsync(echo);
        Assert.Equal(1, stats.DroppedFor(ReceiveBacklog));
        Assert.Equal(103, stats.Received);
        Assert.Equal(102, stats.InFlight + stats.Echoed);
    }

    /// <summary>A clock that, once held, blocks the listener's next reading of it until released.</summary>
    private sealed class HeldTime : TimeProvider
    {
        private readonly ManualTime _time = new();
        private readonly ManualResetEventSlim _open = new(true);
        private volatile bool _holding;

        public SemaphoreSlim Held { get; } = new(0);
        public override long TimestampFrequency => _time.TimestampFrequency;

        public void Hold()
        {
            _open.Reset();
            _holding = true;
        }

        public void Release() => _open.Set();

        public override long GetTimestamp()
        {
            if (_holding)
            {
                _holding = false;
                Held.Release();
                _open.Wait(TimeSpan.FromSeconds(10));
            }
            return _time.GetTimestamp();
        }
    }

    [Fact]
    public async Task A_datagram_is_echoed_to_its_sender_byte_for_byte()
    {
        var (echo, udp) = await StartAsync();
        foreach (var size in new[] { 1, 999, 1000 })
        {
            var data = Bytes(size, seed: size);
            Datagram(udp, echo, data, Client);
            await ExpectEchoAsync(udp, data, Client);
        }
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 40000);
        Datagram(udp, echo, Bytes(10), v6);
        await ExpectEchoAsync(udp, Bytes(10), v6);

        await AwaitAssertAsync(async () =>
        {
            var stats = await StatsAsync(echo);
            Assert.Equal(4, stats.Echoed);
            Assert.Equal(1 + 999 + 1000 + 10, stats.EchoedBytes);
            Assert.Equal(0, stats.InFlight);
            Assert.Equal(0, stats.DroppedTotal);
        });
    }

    [Fact]
    public async Task A_reload_replaces_the_rates_with_full_buckets_at_the_new_ones()
    {
        var (echo, udp) = await StartAsync(); // 5 datagrams/s per source; the clock stands still
        for (var i = 0; i < 5; i++)
        {
            Datagram(udp, echo, Bytes(10), Client);
            await ExpectEchoAsync(udp, Bytes(10), Client);
        }
        Datagram(udp, echo, Bytes(10), Client);
        await udp.ExpectNoMsgAsync(Quiet);

        await echo.Ask<Done>(new UdpEchoProtocol.ChangeSettings(Settings with { PerSourcePacketsPerSecond = 8 }), TimeSpan.FromSeconds(5));

        for (var i = 0; i < 8; i++)
        {
            Datagram(udp, echo, Bytes(10), Client);
            await ExpectEchoAsync(udp, Bytes(10), Client);
        }
        Datagram(udp, echo, Bytes(10), Client);
        await udp.ExpectNoMsgAsync(Quiet);
        Assert.Equal(2, (await StatsAsync(echo)).DroppedFor(UdpMetrics.Reasons.SourceRate));
    }

    [Fact]
    public async Task Datagrams_over_the_maximum_size_and_empty_ones_are_dropped()
    {
        var (echo, udp) = await StartAsync();
        Datagram(udp, echo, Bytes(1001), Client);
        Datagram(udp, echo, ByteString.Empty, Client);
        Datagram(udp, echo, Bytes(1000), Client);
        await ExpectEchoAsync(udp, Bytes(1000), Client);
        await udp.ExpectNoMsgAsync(Quiet);

        var stats = await StatsAsync(echo);
        Assert.Equal(1, stats.DroppedFor(TooLarge));
        Assert.Equal(1, stats.DroppedFor(Empty));
        Assert.Equal(3, stats.Received);
    }

    [Fact]
    public async Task Refused_source_ports_and_the_servers_own_port_get_nothing()
    {
        var (echo, udp) = await StartAsync();
        var refused = new[] { 0, 7, 13, 17, 19, 37, 53, 123, 1900, 11211, Bound.Port };
        foreach (var port in refused)
            Datagram(udp, echo, Bytes(10), new IPEndPoint(Client.Address, port));
        Datagram(udp, echo, Bytes(10), new IPEndPoint(IPAddress.Parse("192.0.2.99"), 1024));
        await ExpectEchoAsync(udp, Bytes(10), new IPEndPoint(IPAddress.Parse("192.0.2.99"), 1024));
        await udp.ExpectNoMsgAsync(Quiet);

        Assert.Equal(refused.Length, (await StatsAsync(echo)).DroppedFor(RefusedPort));
    }

    [Fact]
    public async Task Sources_that_cannot_be_real_senders_get_nothing()
    {
        var (echo, udp) = await StartAsync();
        var sources = new[] { "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "::", "ff02::1", "::ffff:255.255.255.255" };
        foreach (var address in sources)
            Datagram(udp, echo, Bytes(10), new IPEndPoint(IPAddress.Parse(address), 40000));
        await udp.ExpectNoMsgAsync(Quiet);
        Assert.Equal(sources.Length, (await StatsAsync(echo)).DroppedFor(RefusedAddress));
    }

    [Fact]
    public async Task A_source_over_its_rate_gets_no_echo_while_another_source_is_unaffected()
    {
        var (echo, udp) = await StartAsync();
        var other = new IPEndPoint(IPAddress.Parse("192.0.2.20"), 50000);
        for (var i = 0; i < 20; i++)
            Datagram(udp, echo, Bytes(10, i), new IPEndPoint(Client.Address, 50000 + i)); // ports change, source does not
        for (var i = 0; i < 5; i++)
            await ExpectEchoAsync(udp, Bytes(10, i), new IPEndPoint(Client.Address, 50000 + i));
        for (var i = 0; i < 5; i++)
        {
            Datagram(udp, echo, Bytes(20, i), other);
            await ExpectEchoAsync(udp, Bytes(20, i), other);
        }
        await udp.ExpectNoMsgAsync(Quiet);

        // 200 ms later the flooder has earned exactly one more echo.
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Datagram(udp, echo, Bytes(10, 100), Client);
        Datagram(udp, echo, Bytes(10, 101), Client);
        await ExpectEchoAsync(udp, Bytes(10, 100), Client);
        await udp.ExpectNoMsgAsync(Quiet);

        var stats = await StatsAsync(echo);
        Assert.Equal(15 + 1, stats.DroppedFor(SourceRate));
        Assert.Equal(5 + 5 + 1, stats.Echoed);
    }

    [Fact]
    public async Task The_per_source_byte_rate_holds()
    {
        var (echo, udp) = await StartAsync(Settings with { PerSourcePacketsPerSecond = 1000, PerSourceBytesPerSecond = 2500 });
        for (var i = 0; i < 5; i++)
            Datagram(udp, echo, Bytes(1000, i), Client);
        await ExpectEchoAsync(udp, Bytes(1000, 0), Client);
        await ExpectEchoAsync(udp, Bytes(1000, 1), Client);
        await udp.ExpectNoMsgAsync(Quiet);
        Assert.Equal(3, (await StatsAsync(echo)).DroppedFor(SourceRate));
    }

    [Fact]
    public async Task The_global_rate_caps_all_sources_together()
    {
        var (echo, udp) = await StartAsync(Settings with { GlobalPacketsPerSecond = 3 });
        for (var i = 0; i < 6; i++)
            Datagram(udp, echo, Bytes(10, i), new IPEndPoint(IPAddress.Parse($"192.0.2.{i + 1}"), 40000));
        for (var i = 0; i < 3; i++)
            await ExpectEchoAsync(udp, Bytes(10, i), new IPEndPoint(IPAddress.Parse($"192.0.2.{i + 1}"), 40000));
        await udp.ExpectNoMsgAsync(Quiet);
        Assert.Equal(3, (await StatsAsync(echo)).DroppedFor(GlobalRate));
    }

    [Fact]
    public async Task The_table_of_sources_is_bounded()
    {
        var (echo, udp) = await StartAsync(Settings with { MaxSources = 3 });
        for (var i = 0; i < 10; i++)
            Datagram(udp, echo, Bytes(10, i), new IPEndPoint(IPAddress.Parse($"192.0.2.{i + 1}"), 40000));
        for (var i = 0; i < 3; i++)
            await ExpectEchoAsync(udp, Bytes(10, i), new IPEndPoint(IPAddress.Parse($"192.0.2.{i + 1}"), 40000));
        await udp.ExpectNoMsgAsync(Quiet);
        var stats = await StatsAsync(echo);
        Assert.Equal(7, stats.DroppedFor(SourceTableFull));
        Assert.Equal(3, stats.Sources);
    }

    [Fact]
    public async Task Echoes_not_yet_acknowledged_are_capped_and_the_excess_dropped_not_queued()
    {
        var (echo, udp) = await StartAsync(Settings with { MaxRepliesInFlight = 2, PerSourcePacketsPerSecond = 100 });
        for (var i = 0; i < 4; i++)
            Datagram(udp, echo, Bytes(10, i), Client);
        var first = await udp.ExpectMsgAsync<Udp.Send>();
        var second = await udp.ExpectMsgAsync<Udp.Send>();
        await udp.ExpectNoMsgAsync(Quiet);
        Assert.Equal(2, (await StatsAsync(echo)).DroppedFor(SendBacklog));

        echo.Tell(first.Ack, udp.Ref);
        Datagram(udp, echo, Bytes(10, 9), Client);
        await ExpectEchoAsync(udp, Bytes(10, 9), Client);
        echo.Tell(second.Ack, udp.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(0, (await StatsAsync(echo)).InFlight));
    }

    [Fact]
    public async Task A_refused_send_is_counted_and_frees_its_slot()
    {
        var (echo, udp) = await StartAsync();
        Datagram(udp, echo, Bytes(10), Client);
        var send = await udp.ExpectMsgAsync<Udp.Send>();
        udp.Reply(new Udp.CommandFailed(send));
        await AwaitAssertAsync(async () =>
        {
            var stats = await StatsAsync(echo);
            Assert.Equal(1, stats.DroppedFor(SendFailed));
            Assert.Equal(0, stats.InFlight);
        });
    }

    [Fact]
    public async Task A_drain_sends_the_echoes_in_flight_first_then_unbinds()
    {
        var (echo, udp) = await StartAsync();
        Datagram(udp, echo, Bytes(10), Client);
        var send = await udp.ExpectMsgAsync<Udp.Send>();

        var drained = echo.Ask<Done>(UdpEchoProtocol.Drain.Instance, TimeSpan.FromSeconds(10));
        Datagram(udp, echo, Bytes(11), Client);               // arrives during the drain: not echoed
        await udp.ExpectNoMsgAsync(Quiet);                    // no Unbind while an echo is in flight
        Assert.False(drained.IsCompleted);

        echo.Tell(send.Ack, udp.Ref);
        await udp.ExpectMsgAsync<Udp.Unbind>();
        udp.Reply(Udp.Unbound.Instance);
        await drained;

        var stats = await StatsAsync(echo);
        Assert.Equal(1, stats.Echoed);
        Assert.Equal(1, stats.DroppedFor(ShuttingDown));
    }

    [Fact]
    public async Task A_failed_bind_is_reported_as_a_one_line_reason()
    {
        var udp = CreateTestProbe();
        var echo = Sys.ActorOf(UdpEchoListener.Props(Settings, new IPEndPoint(IPAddress.Loopback, 0), udp, _time));
        var bind = await udp.ExpectMsgAsync<Udp.Bind>();
        udp.Reply(new Udp.CommandFailed(bind));
        udp.Reply(new Udp.Bound(null!)); // what Akka.IO 1.5.74 sends next, from its failed listener's PreStart
        var result = await echo.Ask<UdpEchoProtocol.BindFailed>(UdpEchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(5));
        Assert.StartsWith("cannot listen on udp 127.0.0.1:0", result.Reason);
        Assert.DoesNotContain('\n', result.Reason);
    }
}
