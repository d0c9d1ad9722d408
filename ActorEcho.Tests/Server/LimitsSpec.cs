using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary><c>max-connections</c>: a burst of connections past it, and a slot freed under it.</summary>
public sealed class LimitsSpec(ITestOutputHelper output) : ServerKit(output)
{
    private const int MaxConnections = 4;
    private const int Burst = 24;

    [Fact]
    public async Task Connections_over_the_limit_get_an_immediate_EOF_a_freed_slot_is_reused_and_the_service_recovers()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { MaxConnections = MaxConnections, IdleTimeout = null }));

        var served = new List<LoopbackClient>();
        for (var i = 0; i < MaxConnections; i++)
        {
            served.Add(await LoopbackClient.ConnectAsync(endpoint, ct));
            var data = LoopbackClient.RandomBytes(1000, seed: i);
            Assert.Equal(data, await served[i].EchoAsync(data, ct));
        }

        // The burst: the kernel accepts every one (the backlog is large), the listener closes each at once.
        var refused = await Task.WhenAll(Enumerable.Range(0, Burst).Select(async _ =>
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            return await client.ReadToEndAsync(ct);
        }));
        Assert.All(refused, end => Assert.Equal((ConnectionEnd.Eof, 0L), end));

        // The served clients never noticed.
        for (var i = 0; i < MaxConnections; i++)
        {
            var data = LoopbackClient.RandomBytes(256 * 1024, seed: 100 + i);
            Assert.Equal(data, await served[i].EchoAsync(data, ct));
        }
        var during = await StatsAsync(listener);
        Assert.Equal(new(MaxConnections, MaxConnections, Burst, 0), during);

        // One served client leaves: its slot, and only its slot, is free again for the next client.
        served[0].ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await served[0].ReadToEndAsync(ct));
        served[0].Dispose();
        await AwaitStatsAsync(listener, stats => Assert.Equal(MaxConnections - 1, stats.Active));
        served[0] = await LoopbackClient.ConnectAsync(endpoint, ct);
        await AssertEchoAsync(served[0], seed: 150, ct);
        Assert.Equal(new(MaxConnections, MaxConnections + 1, Burst, 1), await StatsAsync(listener));

        foreach (var client in served)
        {
            client.ShutdownSend();
            Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
            client.Dispose();
        }
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));

        // Once they have left, a full set of new clients is served again.
        var again = await Task.WhenAll(Enumerable.Range(0, MaxConnections).Select(async i =>
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            var data = LoopbackClient.RandomBytes(1000, seed: 200 + i);
            var echo = await client.EchoAsync(data, ct);
            return data.AsSpan().SequenceEqual(echo);
        }));
        Assert.All(again, Assert.True);
        Assert.Equal(Burst, (await StatsAsync(listener)).Rejected);
    }
}
