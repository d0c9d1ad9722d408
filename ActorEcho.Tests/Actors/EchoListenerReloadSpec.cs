using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// A reload reaching the listener (<see cref="EchoProtocol.Reconfigure"/>) over real loopback sockets: lowered limits
/// refuse new clients and close nobody; per-source limits switched on count the connections already open.
/// </summary>
public sealed class EchoListenerReloadSpec(ITestOutputHelper output) : ServerKit(output)
{
    private const int Open = 4;

    [Theory]
    [InlineData(false)] // the reload switches per-source limits on: the open connections must be counted
    [InlineData(true)] // the table exists: its limit is lowered in place
    public async Task A_lowered_per_source_limit_refuses_a_new_client_while_the_open_ones_keep_echoing(bool limitAtStart)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var settings = WithPerSourceLimit(Settings(s => s with { IdleTimeout = null }), limitAtStart ? 100 : null);
        var (listener, endpoint) = await StartListenerAsync(settings);
        var open = await ConnectAndEchoAsync(endpoint, ct);

        await ReconfigureAsync(listener, WithPerSourceLimit(settings, 2));

        using (var refused = await LoopbackClient.ConnectAsync(endpoint, ct))
            Assert.Equal((ConnectionEnd.Eof, 0L), await refused.ReadToEndAsync(ct));
        await AssertEchoAsync(open, ct, seed: 20);

        // Under the new limit again (one left open), the source is served.
        await CloseAsync(open.Take(Open - 1), ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));
        using var fresh = await LoopbackClient.ConnectAsync(endpoint, ct);
        await AssertEchoAsync(fresh, seed: 30, ct);
        Assert.Equal(1, (await StatsAsync(listener)).Rejected);
    }

    [Fact]
    public async Task A_lowered_max_connections_closes_nobody_and_refuses_new_clients_until_under_it()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var settings = Settings(s => s with { IdleTimeout = null, MaxConnections = 10 });
        var (listener, endpoint) = await StartListenerAsync(settings);
        var open = await ConnectAndEchoAsync(endpoint, ct);

        await ReconfigureAsync(listener, settings with { MaxConnections = 2 });

        using (var refused = await LoopbackClient.ConnectAsync(endpoint, ct))
            Assert.Equal((ConnectionEnd.Eof, 0L), await refused.ReadToEndAsync(ct));
        await AssertEchoAsync(open, ct, seed: 40);
        Assert.Equal(Open, (await StatsAsync(listener)).Active);

        await CloseAsync(open.Take(Open - 1), ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));
        using var fresh = await LoopbackClient.ConnectAsync(endpoint, ct);
        await AssertEchoAsync(fresh, seed: 50, ct);
    }

    private static EchoSettings WithPerSourceLimit(EchoSettings settings, int? limit) =>
        settings with { Edge = settings.Edge with { PerSourceMaxConnections = limit } };

    private static async Task ReconfigureAsync(IActorRef listener, EchoSettings settings) =>
        await listener.Ask<Done>(new EchoProtocol.Reconfigure(settings, ConnectionKind.PlainEcho), Patience);

    private static async Task<List<LoopbackClient>> ConnectAndEchoAsync(System.Net.IPEndPoint endpoint, CancellationToken ct)
    {
        var clients = new List<LoopbackClient>();
        for (var i = 0; i < Open; i++)
        {
            clients.Add(await LoopbackClient.ConnectAsync(endpoint, ct));
            await AssertEchoAsync(clients[i], seed: i, ct);
        }
        return clients;
    }

    private static async Task AssertEchoAsync(IEnumerable<LoopbackClient> clients, CancellationToken ct, int seed)
    {
        foreach (var client in clients)
            await AssertEchoAsync(client, seed++, ct);
    }

    private static async Task CloseAsync(IEnumerable<LoopbackClient> clients, CancellationToken ct)
    {
        foreach (var client in clients)
        {
            client.ShutdownSend();
            Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
            client.Dispose();
        }
    }
}
