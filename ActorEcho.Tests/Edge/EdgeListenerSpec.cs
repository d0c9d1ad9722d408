using System.Diagnostics;
using System.Net;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Edge;

/// <summary>
/// The listener's edge checks over real loopback sockets, with clients bound to distinct loopback sources:
/// per-source connection limit and connect rate, allow and deny, the source table's bound, IPv6, and the PROXY
/// protocol's trusted sources (the header's client is the one counted).
/// </summary>
public sealed class EdgeListenerSpec(ITestOutputHelper output) : ServerKit(output)
{
    private static readonly IPAddress Source2 = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Source3 = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress Source4 = IPAddress.Parse("127.0.0.4");

    private static EchoSettings WithEdge(Func<EdgeSettings, EdgeSettings> change) =>
        Settings(s => s with { Edge = change(s.Edge) });

    /// <summary>Sends <paramref name="length"/> bytes, half-closes, and returns how many came back before the
    /// server's FIN (or reset): the whole message from a served client, nothing from a refused one.</summary>
    private static async Task<int> EchoedBytesAsync(LoopbackClient client, int seed, CancellationToken ct, int length = 100)
    {
        var data = LoopbackClient.RandomBytes(length, seed);
        try
        {
            var (_, bytes) = await client.EchoUntilClosedAsync(data, ct);
            Assert.True(bytes.Length == 0 || bytes.SequenceEqual(data), "a partial or wrong echo");
            return bytes.Length;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return 0; // refused: the send met the server's close
        }
    }

    [LoopbackSourcesFact]
    public async Task Of_80_connections_from_one_source_exactly_the_limit_of_50_echo_while_another_source_is_served()
    {
        var ct = Deadline.After(Patience * 2);
        var (listener, endpoint) = await StartListenerAsync(WithEdge(e => e with { PerSourceMaxConnections = 50 }));
        var clients = new List<LoopbackClient>();
        try
        {
            for (var i = 0; i < 80; i++)
                clients.Add(await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2));
            // Every connection decided while all 80 are open: none can free a slot for another.
            await AwaitStatsAsync(listener, s => Assert.Equal((50L, 30L), (s.Accepted, s.Rejected)));

            using (var other = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source3))
                Assert.Equal(100, await EchoedBytesAsync(other, 1, ct));

            var echoed = await Task.WhenAll(clients.Select((c, i) => EchoedBytesAsync(c, i, ct)));
            Assert.Equal(50, echoed.Count(n => n == 100));
            Assert.Equal(30, echoed.Count(n => n == 0));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [LoopbackSourcesFact]
    public async Task A_slot_freed_by_a_closed_connection_serves_the_next_client_from_that_source()
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(WithEdge(e => e with { PerSourceMaxConnections = 1 }));
        using (var first = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2))
        {
            await first.AssertEchoesAsync(1, ct);
            using var second = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2);
            Assert.Equal(0, await EchoedBytesAsync(second, 2, ct));
            Assert.Equal(100, await EchoedBytesAsync(first, 3, ct));
        }
        await AwaitStatsAsync(listener, s => Assert.Equal(0, s.Active));
        using var third = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2);
        Assert.Equal(100, await EchoedBytesAsync(third, 4, ct));
    }

    [LoopbackSourcesFact]
    public async Task A_denied_source_gets_no_echo_and_others_are_served()
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(WithEdge(e => e with { Deny = AddressList.Parse(["127.0.0.4/32"]) }));
        using (var denied = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source4))
            Assert.Equal(0, await EchoedBytesAsync(denied, 1, ct));
        using (var served = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2))
            Assert.Equal(100, await EchoedBytesAsync(served, 2, ct));
        await AwaitStatsAsync(listener, s => Assert.Equal((1L, 1L), (s.Accepted, s.Rejected)));
    }

    [LoopbackSourcesFact]
    public async Task An_allow_list_serves_only_its_sources_and_deny_wins_over_it()
    {
        var ct = Deadline.After(Patience);
        var (_, endpoint) = await StartListenerAsync(WithEdge(e => e with
        {
            Allow = AddressList.Parse(["127.0.0.0/30"]), // .0 to .3
            Deny = AddressList.Parse(["127.0.0.3"]),
        }));
        foreach (var (source, expected) in new[] { (Source2, 100), (Source3, 0), (Source4, 0) })
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct, from: source);
            Assert.True(expected == await EchoedBytesAsync(client, 1, ct), $"{source}");
        }
    }

    [LoopbackSourcesFact]
    public async Task The_connect_rate_refuses_a_burst_beyond_its_bucket()
    {
        const int rate = 3;
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(WithEdge(e => e with { PerSourceConnectRate = rate }));
        var clock = Stopwatch.StartNew();
        var clients = new List<LoopbackClient>();
        try
        {
            for (var i = 0; i < 12; i++)
                clients.Add(await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2));
            await AwaitStatsAsync(listener, s => Assert.Equal(12, s.Accepted + s.Rejected));
            var elapsed = clock.Elapsed.TotalSeconds;
            var stats = await StatsAsync(listener);
            // A full bucket (one second's worth), plus what refilled while connecting.
            Assert.InRange(stats.Accepted, rate, rate + (long)Math.Ceiling(rate * elapsed));
            Assert.True(stats.Rejected > 0, $"nothing refused in {elapsed:0.00} s");
            // Another source has its own bucket.
            using var other = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source3);
            Assert.Equal(100, await EchoedBytesAsync(other, 1, ct));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [LoopbackSourcesFact]
    public async Task The_source_table_is_bounded_and_a_new_source_finding_it_full_of_live_ones_is_refused()
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(WithEdge(e => e with { PerSourceMaxConnections = 10, MaxSources = 2 }));
        using var a = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2);
        await a.AssertEchoesAsync(1, ct);
        using (var b = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source3))
        {
            await b.AssertEchoesAsync(2, ct);
            using var c = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source4);
            Assert.Equal(0, await EchoedBytesAsync(c, 3, ct));
        }
        // .3 closed: its entry goes with its last connection, and .4 fits.
        await AwaitStatsAsync(listener, s => Assert.Equal(1, s.Active));
        using var d = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source4);
        Assert.Equal(100, await EchoedBytesAsync(d, 4, ct));
    }

    [IPv6LoopbackFact]
    public async Task IPv6_sources_are_limited_too()
    {
        var ct = Deadline.After(Patience);
        var (_, endpoint) = await StartListenerAsync(WithEdge(e => e with { PerSourceMaxConnections = 2 }), IPAddress.IPv6Loopback);
        using var a = await LoopbackClient.ConnectAsync(endpoint, ct);
        await a.AssertEchoesAsync(1, ct);
        using var b = await LoopbackClient.ConnectAsync(endpoint, ct);
        await b.AssertEchoesAsync(2, ct);
        using var c = await LoopbackClient.ConnectAsync(endpoint, ct);
        Assert.Equal(0, await EchoedBytesAsync(c, 3, ct));
    }

    // --- PROXY protocol ---

    private static EchoSettings Proxied(Func<EdgeSettings, EdgeSettings>? change = null) => WithEdge(e =>
    {
        var proxied = e with { ProxyProtocol = ProxyProtocolMode.Any, TrustedSources = AddressList.Parse(["127.0.0.1"]) };
        return change is null ? proxied : change(proxied);
    });

    private static byte[] V1Header(string client, int port = 51000) =>
        Encoding.ASCII.GetBytes($"PROXY TCP4 {client} 127.0.0.1 {port} 2000\r\n");

    [Fact]
    public async Task From_a_trusted_balancer_the_header_is_consumed_and_only_the_bytes_after_it_are_echoed()
    {
        var ct = Deadline.After(Patience);
        var (_, endpoint) = await StartListenerAsync(Proxied());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback);
        var data = LoopbackClient.RandomBytes(12_345, 7);
        var reading = client.ReceiveUntilClosedAsync(ct);
        // Header and data in one send: the bytes after the header in the same read are the client's.
        await client.SendAsync(V1Header("198.51.100.7").Concat(data).ToArray(), ct);
        client.ShutdownSend();
        var (end, echoed) = await reading;
        Assert.Equal(ConnectionEnd.Eof, end);
        Assert.Equal(data, echoed);
    }

    [Fact]
    public async Task A_trusted_peer_that_sends_no_header_gets_no_echo()
    {
        var ct = Deadline.After(Patience);
        var (_, endpoint) = await StartListenerAsync(Proxied());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback);
        Assert.Equal(0, await EchoedBytesAsync(client, 1, ct));
    }

    [LoopbackSourcesFact]
    public async Task An_untrusted_peer_that_sends_a_valid_header_gets_no_echo()
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(Proxied());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct, from: Source2);
        var (_, echoed) = await client.EchoUntilClosedAsync(V1Header("198.51.100.7").Concat(new byte[100]).ToArray(), ct);
        Assert.Empty(echoed);
        await AwaitStatsAsync(listener, s => Assert.Equal((0L, 1L), (s.Accepted, s.Rejected)));
    }

    [Fact]
    public async Task Per_source_limits_count_the_headers_client_not_the_balancer()
    {
        var ct = Deadline.After(Patience);
        var (_, endpoint) = await StartListenerAsync(Proxied(e => e with
        {
            PerSourceMaxConnections = 1,
            Deny = AddressList.Parse(["198.51.100.66"]),
        }));
        async Task<int> Through(string client, LoopbackClient connection, int seed)
        {
            var data = LoopbackClient.RandomBytes(100, seed);
            var (_, echoed) = await connection.EchoUntilClosedAsync(V1Header(client).Concat(data).ToArray(), ct);
            return echoed.Length;
        }
        using var held = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback);
        await held.SendAsync(V1Header("198.51.100.7"), ct);
        await held.AssertEchoesAsync(1, ct); // 198.51.100.7 now holds its one slot
        using (var same = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback))
            Assert.Equal(0, await Through("198.51.100.7", same, 2));
        using (var other = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback))
            Assert.Equal(100, await Through("198.51.100.8", other, 3));
        using (var denied = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback))
            Assert.Equal(0, await Through("198.51.100.66", denied, 4));
    }
}
