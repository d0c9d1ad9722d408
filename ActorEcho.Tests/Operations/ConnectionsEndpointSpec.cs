using System.Net;
using System.Text.Json;
using ActorEcho.Configuration;
using Akka.Actor;
using ActorEcho.Hosting;
using ActorEcho.Tests.Support;
using ActorEcho.Tests.Tls;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Operations;

/// <summary>
/// The live view on the HTTP endpoint of an in-process server (plain and TLS listener): <c>GET /connections</c> lists
/// exactly the open connections, with client, transport, state and TLS, filtered, limited and sorted as asked;
/// <c>GET /sources</c> counts open connections and refusals per source; bad queries are 400, other methods 405.
/// Through HAProxy: <c>Process/ConnectionsViewProcessSpec</c>.
/// </summary>
public sealed class ConnectionsEndpointSpec(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
            await owned.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task Connections_lists_exactly_the_open_connections_with_their_client_and_transport_tcp_and_tls()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s);
        var plain = new List<LoopbackClient>();
        var tls = new List<TlsClient>();
        for (var i = 0; i < 3; i++)
        {
            var client = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct);
            await client.AssertEchoesAsync(i, ct);
            plain.Add(client);
        }
        for (var i = 0; i < 2; i++)
        {
            var client = await TlsClient.ConnectAsync(server.TlsLocalEndpoint!, ct, trustAny: true);
            await client.AssertEchoesAsync(10 + i, ct);
            tls.Add(client);
        }
        try
        {
            var listed = await WaitForConnectionsAsync(server, "", rows => rows.Count == 5, "five connections", ct);
            AssertListed(listed, plain.Select(Port), "tcp", server.LocalEndpoint);
            AssertListed(listed, tls.Select(client => Port(client.Socket)), "tls", server.TlsLocalEndpoint!);
            Assert.All(listed, row => Assert.Equal("echoing", row.GetProperty("state").GetString()));
            Assert.All(listed, row => Assert.Equal(JsonValueKind.Null, row.GetProperty("via").ValueKind));
            Assert.All(listed, row => Assert.Equal(1000, row.GetProperty("bytes_in").GetInt64()));
            Assert.Equal(5, listed.Select(row => row.GetProperty("id").GetString()).Distinct().Count());
            foreach (var row in listed.Where(row => row.GetProperty("transport").GetString() == "tls"))
            {
                var negotiated = row.GetProperty("tls");
                Assert.Matches(@"^TLSv1\.[23]$", negotiated.GetProperty("protocol").GetString());
                Assert.StartsWith("TLS_", negotiated.GetProperty("cipher").GetString());
                Assert.Equal("localhost", negotiated.GetProperty("sni").GetString());
                Assert.Equal(JsonValueKind.Null, negotiated.GetProperty("client_subject").ValueKind);
            }
            Assert.All(listed.Where(row => row.GetProperty("transport").GetString() == "tcp"),
                row => Assert.Equal(JsonValueKind.Null, row.GetProperty("tls").ValueKind));

            // Two leave (one of each); the others stay listed, and only they.
            plain[1].Dispose();
            await tls[0].DisposeAsync();
            var left = await WaitForConnectionsAsync(server, "", rows => rows.Count == 3, "three connections", ct);
            Assert.Equal(
                new[] { Port(plain[0]), Port(plain[2]), Port(tls[1].Socket) }.Select(port => $"127.0.0.1:{port}").Order(),
                left.Select(row => row.GetProperty("client").GetString()!).Order());
        }
        finally
        {
            foreach (var client in plain)
                client.Dispose();
            foreach (var client in tls)
                await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_tls_client_that_has_not_sent_its_client_hello_shows_as_handshaking_without_tls()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s);
        using var silent = await LoopbackClient.ConnectAsync(server.TlsLocalEndpoint!, ct);
        var row = Assert.Single(await WaitForConnectionsAsync(server, "", rows => rows.Count == 1, "the TLS connection", ct));
        Assert.Equal($"127.0.0.1:{Port(silent)}", Client(row));
        Assert.Equal("tls", row.GetProperty("transport").GetString());
        Assert.Equal("handshaking", row.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("tls").ValueKind);
    }

    [Fact]
    public async Task A_balancer_that_has_not_sent_its_proxy_header_shows_as_proxy_header_with_its_own_address()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s with
        {
            Edge = s.Edge with { ProxyProtocol = ProxyProtocolMode.V2, TrustedSources = AddressList.Parse(["127.0.0.0/8"]) },
        });
        using var balancer = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct);
        var row = Assert.Single(await WaitForConnectionsAsync(server, "", rows => rows.Count == 1, "the balancer's connection", ct));
        Assert.Equal("proxy-header", row.GetProperty("state").GetString());
        Assert.Equal($"127.0.0.1:{Port(balancer)}", Client(row));
        Assert.Equal(JsonValueKind.Null, row.GetProperty("via").ValueKind);
    }

    [Fact]
    public async Task A_connection_served_through_a_drain_shows_as_draining()
    {
        var ct = Deadline.After(Patience);
        // A long quiet period keeps the drained connection open (and listed) until its client leaves.
        var server = await StartAsync(s => s with { DrainQuiet = TimeSpan.FromMinutes(1), DrainTimeout = TimeSpan.FromMinutes(2) });
        using var client = await ConnectEchoedAsync(server, IPAddress.Loopback, ct);
        server.Listener.Tell(ActorEcho.TcpEcho.EchoProtocol.DrainConnections.Instance);
        var row = Assert.Single(await WaitForConnectionsAsync(server, "",
            rows => rows.Count == 1 && rows[0].GetProperty("state").GetString() == "draining", "the drained connection", ct));
        Assert.Equal($"127.0.0.1:{Port(client)}", Client(row));
        await client.AssertEchoesAsync(2, ct); // still served
    }

    /// <param name="budget">max-buffered-bytes: with less than the high watermark (128 KiB), the budget runs out
    /// first.</param>
    [Theory]
    [InlineData(null, "paused-by-window")]
    [InlineData(64 * 1024, "paused-by-budget")]
    public async Task A_client_that_stops_reading_while_sending_more_than_the_window_or_budget_shows_as_paused(int? budget, string state)
    {
        var ct = Deadline.After(Patience);
        // A small server send buffer: the window fills after a few hundred KiB rather than the kernel's megabytes.
        var server = await StartAsync(s => s with
        {
            SocketSendBufferSize = 64 * 1024,
            MaxBufferedBytes = budget ?? s.MaxBufferedBytes,
        });
        using var reader = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct);
        using var stalled = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct, receiveBufferSize: 16 * 1024);
        await reader.AssertEchoesAsync(1, ct);
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = stalled.SendAsync(LoopbackClient.RandomBytes(8 * 1024 * 1024, seed: 2), stopSending.Token);

        await WaitForConnectionsAsync(server, "",
            rows => rows.Any(row => row.GetProperty("state").GetString() == state), "a paused connection", ct);
        // Read again: a row's figures are taken a moment before its state, and the client never reads, so it stays
        // paused. Acks may still trickle in, but reading resumes only at the low watermark (or an empty window).
        var (_, rows) = await GetConnectionsAsync(server, "", ct);
        var paused = Assert.Single(rows, row => row.GetProperty("state").GetString() == state);
        Assert.Equal($"127.0.0.1:{Port(stalled)}", paused.GetProperty("client").GetString());
        Assert.InRange(paused.GetProperty("bytes_in").GetInt64() - paused.GetProperty("bytes_out").GetInt64(),
            budget is null ? server.Settings.WriteLowWatermark + 1 : 1, long.MaxValue);
        Assert.Equal("echoing", Assert.Single(rows, row => row.GetProperty("client").GetString() == $"127.0.0.1:{Port(reader)}")
            .GetProperty("state").GetString());

        stopSending.Cancel();
        stalled.Reset();
        await Assert.ThrowsAnyAsync<Exception>(() => sending);
    }

    [Theory]
    [InlineData("/connections?limit=-1", "limit: ")]
    [InlineData("/connections?limit=abc", "limit: ")]
    [InlineData("/connections?limit=0", "limit: ")]
    [InlineData("/connections?limit=10001", "limit: ")]
    [InlineData("/connections?limit=", "limit: ")]
    [InlineData("/connections?limit=1&limit=2", "limit: ")]
    [InlineData("/connections?sort=newest", "sort: ")]
    [InlineData("/connections?source=10.0.0.1/8", "source: ")]
    [InlineData("/connections?source=not-an-address", "source: ")]
    [InlineData("/connections?source=::1/129", "source: ")]
    [InlineData("/sources?limit=-1", "limit: ")]
    public async Task A_bad_query_is_400_with_one_line_naming_the_parameter(string pathAndQuery, string reasonStart)
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s);
        using var response = await _http.GetAsync(new Uri(server.HttpAddress!, pathAndQuery), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(reasonStart, body);
        Assert.EndsWith("\n", body);
        Assert.Single(body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Every_path_answers_get_and_head_and_refuses_other_methods_with_405()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s);
        foreach (var path in new[] { "/connections", "/sources", "/metrics", "/ready", "/live" })
        {
            var url = new Uri(server.HttpAddress!, path);
            using (var get = await _http.GetAsync(url, ct))
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            using (var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), ct))
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
            {
                using var refused = await _http.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent("") }, ct);
                Assert.True(refused.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {refused.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Limit_caps_the_list_but_not_the_count_and_sort_orders_by_age_or_by_bytes()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s);
        var sizes = new[] { 100, 5000, 20 };
        var clients = new List<LoopbackClient>();
        try
        {
            // One after the other, each echoed before the next connects: their order is their age.
            foreach (var (size, i) in sizes.Select((size, i) => (size, i)))
            {
                var client = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct);
                await client.AssertEchoesAsync(i, ct, size);
                clients.Add(client);
            }
            await WaitForConnectionsAsync(server, "", rows => rows.Count == 3, "three connections", ct);
            var byAge = clients.Select(client => $"127.0.0.1:{Port(client)}").ToArray();

            var (open, rows) = await GetConnectionsAsync(server, "?limit=2", ct);
            Assert.Equal(3, open);
            Assert.Equal(byAge[..2], rows.Select(Client));
            Assert.Equal(byAge, (await GetConnectionsAsync(server, "?sort=age", ct)).Rows.Select(Client));

            var (_, byBytes) = await GetConnectionsAsync(server, "?sort=bytes&limit=2", ct);
            Assert.Equal(new[] { byAge[1], byAge[0] }, byBytes.Select(Client));
            Assert.Equal(new[] { 10_000L, 200L }, byBytes.Select(row => row.GetProperty("bytes_in").GetInt64() + row.GetProperty("bytes_out").GetInt64()));
            Assert.Equal(byAge, (await GetConnectionsAsync(server, "?limit=10000", ct)).Rows.Select(Client));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [LoopbackSourcesFact]
    public async Task Source_lists_only_the_connections_from_that_address_or_network()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s);
        using var first = await ConnectEchoedAsync(server, IPAddress.Parse("127.0.0.2"), ct);
        using var second = await ConnectEchoedAsync(server, IPAddress.Parse("127.0.0.2"), ct);
        using var other = await ConnectEchoedAsync(server, IPAddress.Parse("127.0.0.4"), ct);
        await WaitForConnectionsAsync(server, "", rows => rows.Count == 3, "three connections", ct);

        var (open, rows) = await GetConnectionsAsync(server, "?source=127.0.0.2", ct);
        Assert.Equal(2, open);
        Assert.Equal(new[] { $"127.0.0.2:{Port(first)}", $"127.0.0.2:{Port(second)}" }, rows.Select(Client));
        // 127.0.0.0/30 is .0 to .3: 127.0.0.4 is outside.
        Assert.Equal(2, (await GetConnectionsAsync(server, "?source=127.0.0.0/30", ct)).Open);
        Assert.Equal($"127.0.0.4:{Port(other)}", Client(Assert.Single((await GetConnectionsAsync(server, "?source=127.0.0.4/32", ct)).Rows)));
        Assert.Equal(3, (await GetConnectionsAsync(server, "?source=127.0.0.0/8", ct)).Open);
        Assert.Equal(0, (await GetConnectionsAsync(server, "?source=::1", ct)).Open);
    }

    [LoopbackSourcesFact]
    public async Task Sources_counts_the_open_connections_and_the_refusals_of_each_source()
    {
        var ct = Deadline.After(Patience);
        var server = await StartAsync(s => s with { Edge = s.Edge with { Deny = AddressList.Parse(["127.0.0.3"]) } });
        using var a = await ConnectEchoedAsync(server, IPAddress.Parse("127.0.0.2"), ct);
        using var b = await ConnectEchoedAsync(server, IPAddress.Parse("127.0.0.2"), ct);
        using var c = await ConnectEchoedAsync(server, IPAddress.Loopback, ct);
        for (var i = 0; i < 2; i++)
        {
            using var denied = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct, from: IPAddress.Parse("127.0.0.3"));
            Assert.Equal(ConnectionEnd.Eof, (await denied.ReadToEndAsync(ct)).End);
        }
        using var deniedTls = await LoopbackClient.ConnectAsync(server.TlsLocalEndpoint!, ct, from: IPAddress.Parse("127.0.0.3"));
        Assert.Equal(ConnectionEnd.Eof, (await deniedTls.ReadToEndAsync(ct)).End);

        var expected = """
            {"complete":true,"sources":[{"source":"127.0.0.2","open":2,"refused":{}},{"source":"127.0.0.1","open":1,"refused":{}},{"source":"127.0.0.3","open":0,"refused":{"denied":3}}]}
            """;
        string body;
        var deadline = DateTime.UtcNow + Patience;
        // The views appear as the connection actors start: poll until they have.
        while ((body = await _http.GetStringAsync(new Uri(server.HttpAddress!, "/sources"), ct)) != expected && DateTime.UtcNow < deadline)
            await Task.Delay(50, ct);
        output.WriteLine(body);
        Assert.Equal(expected, body);
        Assert.Equal("""{"complete":true,"sources":[{"source":"127.0.0.2","open":2,"refused":{}}]}""",
            await _http.GetStringAsync(new Uri(server.HttpAddress!, "/sources?limit=1"), ct));
    }

    private async Task<EchoServer> StartAsync(Func<EchoSettings, EchoSettings> configure)
    {
        var server = await InProcessEchoServer.StartAsync(s => configure(s with
        {
            HttpEndpoint = new Uri("http://127.0.0.1:0"),
            Tls = new TlsSettings { BindAddress = "127.0.0.1:0", Certificate = TlsSettings.SelfSigned },
            IdleTimeout = null,
        }));
        _owned.Add(server);
        return server;
    }

    private static async Task<LoopbackClient> ConnectEchoedAsync(EchoServer server, IPAddress from, CancellationToken ct)
    {
        var client = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct, from: from);
        await client.AssertEchoesAsync(1, ct);
        return client;
    }

    private async Task<(int Open, List<JsonElement> Rows)> GetConnectionsAsync(EchoServer server, string query, CancellationToken ct)
    {
        using var response = await _http.GetAsync(new Uri(server.HttpAddress!, "/connections" + query), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var root = JsonDocument.Parse(body).RootElement;
        return (root.GetProperty("open").GetInt32(), root.GetProperty("connections").EnumerateArray().ToList());
    }

    /// <summary>Polls <c>/connections</c> until <paramref name="done"/> holds for its rows: a connection's view
    /// appears when its actor starts, and goes when it stops, each a moment after the client sees it.</summary>
    private async Task<List<JsonElement>> WaitForConnectionsAsync(EchoServer server, string query,
        Func<List<JsonElement>, bool> done, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var (open, rows) = await GetConnectionsAsync(server, query, ct);
            Assert.Equal(rows.Count, open);
            if (done(rows))
            {
                output.WriteLine(string.Join("\n", rows));
                return rows;
            }
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no {what} listed within {Patience}: {string.Join(", ", rows)}");
            await Task.Delay(50, ct);
        }
    }

    private static void AssertListed(List<JsonElement> rows, IEnumerable<int> ports, string transport, IPEndPoint listener)
    {
        foreach (var port in ports)
        {
            var row = Assert.Single(rows, row => Client(row) == $"127.0.0.1:{port}");
            Assert.Equal(transport, row.GetProperty("transport").GetString());
            Assert.Equal(EndpointParser.Format(listener), row.GetProperty("listener").GetString());
            Assert.StartsWith(transport + "-", row.GetProperty("id").GetString());
        }
    }

    private static string Client(JsonElement row) => row.GetProperty("client").GetString()!;

    private static int Port(LoopbackClient client) => Port(client.Socket);

    private static int Port(System.Net.Sockets.Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;
}
