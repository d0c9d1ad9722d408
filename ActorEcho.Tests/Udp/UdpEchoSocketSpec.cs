using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using ActorEcho.UdpEcho;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorEcho.Tests.UdpEcho.UdpTestSockets;

namespace ActorEcho.Tests.UdpEcho;

/// <summary>
/// <see cref="UdpEchoListener"/> over real Akka.IO UDP sockets on the IPv4 and IPv6 loopback, in an actor system
/// configured like the shipped server (its <c>akka.io.udp</c> buffer pool in particular). Port 0 everywhere.
/// </summary>
public sealed class UdpEchoSocketSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigLoader.Defaults, output: output)
{
    /// <summary>The shipped limits, with a 2 MiB receive buffer so that a busy test machine stalling the server
    /// for a moment does not make the kernel drop datagrams (which no assertion here could tell from a bug).</summary>
    private static readonly UdpEchoSettings Shipped = new() { SocketReceiveBufferSize = 2 * 1024 * 1024 };

    /// <summary>Room for the specs that are not about the rate limits.</summary>
    private static readonly UdpEchoSettings Generous = Shipped with
    {
        PerSourcePacketsPerSecond = 100_000,
        PerSourceBytesPerSecond = 100 * 1024 * 1024,
        GlobalPacketsPerSecond = 100_000,
        GlobalBytesPerSecond = 100 * 1024 * 1024,
    };

    private async Task<(IActorRef Echo, IPEndPoint Endpoint)> StartAsync(AddressFamily family, UdpEchoSettings settings)
    {
        var loopback = family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback;
        var echo = Sys.ActorOf(UdpEchoListener.Props(settings, new IPEndPoint(loopback, 0)));
        var bound = await echo.Ask<UdpEchoProtocol.BindSucceeded>(UdpEchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, bound.LocalAddress.Port);
        return (echo, bound.LocalAddress);
    }

    private static Task<UdpEchoProtocol.UdpStats> StatsAsync(IActorRef echo) =>
        echo.Ask<UdpEchoProtocol.UdpStats>(UdpEchoProtocol.GetStats.Instance, TimeSpan.FromSeconds(5));

    [Fact]
    public Task Datagrams_of_1_byte_1400_bytes_and_the_maximum_come_back_exact_IPv4() => SizesAsync(AddressFamily.InterNetwork);

    [IPv6LoopbackFact]
    public Task Datagrams_of_1_byte_1400_bytes_and_the_maximum_come_back_exact_IPv6() => SizesAsync(AddressFamily.InterNetworkV6);

    private async Task SizesAsync(AddressFamily family)
    {
        var (echo, server) = await StartAsync(family, Shipped);
        using var client = Client(family);
        var deadline = Deadline.After(TimeSpan.FromSeconds(20));
        foreach (var size in new[] { 1, 1400, Shipped.MaxDatagramSize })
        {
            var data = LoopbackClient.RandomBytes(size, seed: size);
            var reply = await EchoAsync(client, server, data, deadline);
            Assert.True(data.AsSpan().SequenceEqual(reply), $"the {size}-byte echo differs ({reply.Length} bytes came back)");
        }

        // One byte over the maximum gets nothing: the next echo to arrive is that of the datagram sent after it.
        await client.SendToAsync(LoopbackClient.RandomBytes(Shipped.MaxDatagramSize + 1, 7), SocketFlags.None, server, deadline);
        var last = LoopbackClient.RandomBytes(3, 8);
        Assert.Equal(last, await EchoAsync(client, server, last, deadline));
        Assert.Equal(1, (await StatsAsync(echo)).DroppedFor(UdpMetrics.Reasons.TooLarge));
    }

    [Fact]
    public Task A_thousand_datagrams_from_ten_sockets_each_get_exactly_their_own_echo_IPv4() => TenSocketsAsync(AddressFamily.InterNetwork);

    [IPv6LoopbackFact]
    public Task A_thousand_datagrams_from_ten_sockets_each_get_exactly_their_own_echo_IPv6() => TenSocketsAsync(AddressFamily.InterNetworkV6);

    private async Task TenSocketsAsync(AddressFamily family)
    {
        const int sockets = 10, perSocket = 100, window = 10;
        var (echo, server) = await StartAsync(family, Generous);
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));

        var clients = Enumerable.Range(0, sockets).Select(async c =>
        {
            using var socket = Client(family);
            // Each datagram names its socket and sequence number and has its own size and bytes: an echo that went
            // to the wrong socket, or was cut, doubled or changed, cannot pass for the right one.
            byte[] Datagram(int n)
            {
                var data = LoopbackClient.RandomBytes(16 + (n * 7 + c) % 200, seed: c * 1000 + n);
                BitConverter.TryWriteBytes(data.AsSpan(0, 4), c);
                BitConverter.TryWriteBytes(data.AsSpan(4, 4), n);
                return data;
            }
            var received = new bool[perSocket];
            var sent = 0;
            // A window of datagrams in flight per socket: enough to overlap, never enough to overflow a buffer.
            for (; sent < window; sent++)
                await socket.SendToAsync(Datagram(sent), SocketFlags.None, server, deadline);
            for (var got = 0; got < perSocket; got++)
            {
                var (reply, from) = await ReceiveAsync(socket, deadline);
                Assert.Equal(server, from);
                Assert.True(reply.Length >= 8, $"socket {c}: a {reply.Length}-byte echo");
                var owner = BitConverter.ToInt32(reply, 0);
                var n = BitConverter.ToInt32(reply, 4);
                Assert.Equal(c, owner);
                Assert.InRange(n, 0, perSocket - 1);
                Assert.False(received[n], $"socket {c}: datagram {n} echoed twice");
                Assert.True(Datagram(n).AsSpan().SequenceEqual(reply), $"socket {c}: the echo of datagram {n} differs");
                received[n] = true;
                if (sent < perSocket)
                    await socket.SendToAsync(Datagram(sent++), SocketFlags.None, server, deadline);
            }
            return received.Count(r => r);
        }).ToList();

        Assert.All(await Task.WhenAll(clients), count => Assert.Equal(perSocket, count));
        // Akka.IO acknowledges a send after its sendto returns, so the last acks can reach the server's counters
        // after the last echo reached its client.
        await AwaitAssertAsync(async () =>
        {
            var stats = await StatsAsync(echo);
            Assert.Equal(sockets * perSocket, stats.Echoed);
            Assert.Equal(0, stats.DroppedTotal);
        });
    }

    [UdpPort19Fact]
    public Task A_socket_bound_to_source_port_19_gets_no_echo_IPv4() => Port19Async(AddressFamily.InterNetwork);

    [UdpPort19Fact(ipv6: true)]
    public Task A_socket_bound_to_source_port_19_gets_no_echo_IPv6() => Port19Async(AddressFamily.InterNetworkV6);

    private async Task Port19Async(AddressFamily family)
    {
        var (echo, server) = await StartAsync(family, Shipped);
        using var chargen = Client(family, 19);
        using var normal = Client(family);
        var deadline = Deadline.After(TimeSpan.FromSeconds(20));

        await chargen.SendToAsync(LoopbackClient.RandomBytes(100, 1), SocketFlags.None, server, deadline);
        // The server handles datagrams in order: once the later one from a normal port is echoed, the one from
        // port 19 has been dealt with.
        var data = LoopbackClient.RandomBytes(100, 2);
        Assert.Equal(data, await EchoAsync(normal, server, data, deadline));
        Assert.Equal(0, chargen.Available);
        Assert.Equal(1, (await StatsAsync(echo)).DroppedFor(UdpMetrics.Reasons.RefusedPort));
    }

    [Fact]
    public Task A_flooding_source_is_held_to_its_rate_while_a_normal_source_loses_nothing_IPv4() => FloodAsync(AddressFamily.InterNetwork);

    [IPv6LoopbackFact]
    public Task A_flooding_source_is_held_to_its_rate_while_a_normal_source_loses_nothing_IPv6() => FloodAsync(AddressFamily.InterNetworkV6);

    /// <summary>
    /// The limit is per source address, and every loopback socket of a family has the same one: the normal source
    /// is 127.0.0.2 next to a flood from 127.0.0.1. The IPv6 loopback has the single address ::1, so over IPv6 the
    /// spec checks the flooder alone (no second IPv6 source exists without changing the machine's addresses).
    /// </summary>
    private async Task FloodAsync(AddressFamily family)
    {
        const int rate = 25, floodDatagrams = 500;
        var normalDatagrams = family == AddressFamily.InterNetwork ? 10 : 0;
        var (echo, server) = await StartAsync(family, Shipped with { PerSourcePacketsPerSecond = rate });
        var floodTarget = server;
        var normalTarget = server;

        using var flooder = Client(family);
        using var normal = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        normal.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Parse("127.0.0.2") : IPAddress.IPv6Loopback, 0));
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));

        var clock = Stopwatch.StartNew();
        var flooding = Task.Run(async () =>
        {
            // 20 times the rate for one second, in bursts of 10 every 20 ms: far over the limit, but paced so that
            // the kernel's buffers never overflow (that would lose datagrams for reasons that are not the server's).
            for (var i = 0; i < floodDatagrams; i++)
            {
                await flooder.SendToAsync(LoopbackClient.RandomBytes(64, i), SocketFlags.None, floodTarget, deadline);
                if (i % 10 == 9)
                    await Task.Delay(20, deadline);
            }
        });
        var floodEchoes = 0;
        var counting = Task.Run(async () =>
        {
            while (true)
            {
                var (reply, _) = await ReceiveAsync(flooder, deadline);
                Assert.Equal(64, reply.Length);
                Interlocked.Increment(ref floodEchoes);
            }
        });

        // The normal source: one datagram every 50 ms (20/s, under the limit of 25/s), each echo awaited, all
        // while the flood goes on (it lasts about a second).
        for (var i = 0; i < normalDatagrams; i++)
        {
            var data = LoopbackClient.RandomBytes(100, 1000 + i);
            Assert.Equal(data, await EchoAsync(normal, normalTarget, data, deadline));
            await Task.Delay(50, deadline);
        }
        await flooding;

        // Every flood datagram has been dealt with once the server has received them all (or dropped them):
        // wait on the server's count, not on time.
        await AwaitAssertAsync(async () =>
        {
            var s = await StatsAsync(echo);
            Assert.Equal(floodDatagrams + normalDatagrams, s.Received);
            Assert.Equal(0, s.InFlight);
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        var elapsed = clock.Elapsed;
        var stats = await StatsAsync(echo);
        var flooderEchoed = stats.Echoed - normalDatagrams;

        // Held to its rate: one second's burst plus the rate over the time it flooded, and never less than the burst.
        var allowed = rate + rate * elapsed.TotalSeconds;
        Output?.WriteLine($"flood: {floodDatagrams} sent, {flooderEchoed} echoed in {elapsed.TotalSeconds:0.00} s (at most {allowed:0} allowed)");
        Assert.InRange(flooderEchoed, rate, (long)Math.Ceiling(allowed));
        Assert.Equal(floodDatagrams - flooderEchoed, stats.DroppedFor(UdpMetrics.Reasons.SourceRate));
        Assert.Equal(floodDatagrams + normalDatagrams - stats.Echoed, stats.DroppedTotal);
        // The echoes the server sent to the flooder all arrive (loopback does not lose them).
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref floodEchoes) == flooderEchoed), TimeSpan.FromSeconds(10));
        Assert.False(counting.IsFaulted, counting.Exception?.ToString());
    }
}
