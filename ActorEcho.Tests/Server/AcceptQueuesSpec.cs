using System.Globalization;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary><c>actor-echo.accept-queues</c>: N Akka.IO listeners on one address with SO_REUSEPORT (Linux), each
/// its own kernel accept queue; the kernel spreads new clients across them by a hash of their address and port.</summary>
public sealed class AcceptQueuesSpec(ITestOutputHelper output) : ServerKit(output)
{
    [SkippableLinuxFact]
    public async Task Every_accept_queue_listens_on_the_one_port_and_every_one_serves_clients()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(40));
        const int Queues = 3;
        // 3 queues and 60 clients from distinct source ports: a queue left without any client is a 3 x (2/3)^60
        // (about 1e-10) event, so every queue is seen serving.
        const int Clients = 60;
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { AcceptQueues = Queues }));

        var queues = await listener.Ask<EchoProtocol.AcceptQueueListeners>(EchoProtocol.GetAcceptQueues.Instance, Patience);
        Assert.Equal(Queues, queues.Listeners.Count);
        Assert.Equal(Queues, ListeningSockets(endpoint.Port));

        var clients = new List<LoopbackClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
                clients.Add(await LoopbackClient.ConnectAsync(endpoint, ct));
            await Task.WhenAll(clients.Select((client, i) => AssertEchoAsync(client, seed: i, ct, length: 100)));
            await AwaitStatsAsync(listener, stats => Assert.Equal(Clients, stats.Accepted));

            // Akka.IO's own count per listener: each accept queue accepted some of the clients, all of them in sum.
            var accepted = new List<long>();
            foreach (var queue in queues.Listeners)
            {
                var probe = CreateTestProbe();
                queue.Tell(new Tcp.SubscribeToTcpListenerStats(probe.Ref), probe.Ref);
                accepted.Add((await probe.ExpectMsgAsync<Tcp.TcpListenerStatistics>(Patience, cancellationToken: ct)).AcceptedIncomingConnections);
            }
            Output?.WriteLine($"accepted per queue: {string.Join(", ", accepted)}");
            Assert.All(accepted, count => Assert.True(count > 0, "an accept queue served no client"));
            Assert.Equal(Clients, accepted.Sum());
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [SkippableLinuxFact]
    public async Task A_drain_releases_every_accept_queue()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { AcceptQueues = 2 }));
        using (var client = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            await AssertEchoAsync(client, seed: 1, ct);
            client.ShutdownSend();
            Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
        }

        Assert.Equal(Done.Instance, await listener.Ask<Done>(EchoProtocol.DrainConnections.Instance, Patience));
        Assert.Equal(0, ListeningSockets(endpoint.Port));
    }

    [Fact]
    public async Task One_accept_queue_is_one_listening_socket()
    {
        var (listener, endpoint) = await StartListenerAsync(Settings());
        var queues = await listener.Ask<EchoProtocol.AcceptQueueListeners>(EchoProtocol.GetAcceptQueues.Instance, Patience);
        Assert.Single(queues.Listeners);
        if (OperatingSystem.IsLinux())
            Assert.Equal(1, ListeningSockets(endpoint.Port));
    }

    /// <summary>Sockets in LISTEN state (0A) on <paramref name="port"/>, from /proc/net/tcp (IPv4).</summary>
    private static int ListeningSockets(int port)
    {
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        return File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields[1].EndsWith(hexPort, StringComparison.Ordinal) && fields[3] == "0A");
    }
}

/// <summary>A fact that needs Linux (SO_REUSEPORT's load balancing, /proc/net/tcp); skipped elsewhere.</summary>
public sealed class SkippableLinuxFactAttribute : FactAttribute
{
    public SkippableLinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "needs Linux (SO_REUSEPORT load balancing)";
    }
}
