using ActorEcho.TcpEcho;
using System.Diagnostics;
using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
using ActorEcho.Tests.Server;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Operations;

/// <summary>
/// <c>actor-echo.http-endpoint</c> and <c>actor-echo.lame-duck</c> on an in-process server: what <c>/ready</c>,
/// <c>/live</c> and <c>/metrics</c> answer before, during (lame duck, then drain) and after a shutdown, and that
/// the lame duck goes on serving. The meter is process-wide, hence the isolated collection.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class ReadinessSpec(ITestOutputHelper output)
{
    private static readonly TimeSpan LameDuck = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Ready_is_200_while_serving_and_503_through_lame_duck_and_drain_while_lame_duck_still_echoes_new_clients()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        using var metrics = new MetricsCapture();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var server = await StartAsync(s => s with { LameDuck = LameDuck, IdleTimeout = null });
        var url = server.HttpAddress!;
        try
        {
            Assert.Equal(ServerReadiness.Stage.Serving, server.Readiness.Current);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url, "/ready"), ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url, "/live"), ct)).StatusCode);

            // Two idle clients, connected before the shutdown: the drain will FIN them after the lame duck.
            using var answering = await ConnectEchoedAsync(server.LocalEndpoint, 1, ct);
            using var silent = await ConnectEchoedAsync(server.LocalEndpoint, 2, ct);

            var clock = Stopwatch.StartNew();
            var stopping = server.StopAsync();
            await server.Readiness.ShutdownStarted.WaitAsync(Patience, ct);

            // Lame duck: not ready from the first moment, still alive, still serving a client that arrives now.
            var ready = await http.GetAsync(new Uri(url, "/ready"), ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("shutting down\n", await ready.Content.ReadAsStringAsync(ct));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url, "/live"), ct)).StatusCode);
            using (var late = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct))
            {
                var data = LoopbackClient.RandomBytes(256 * 1024, seed: 3);
                await late.AssertHalfCloseEchoAsync(data, ct);
            }
            Assert.True(clock.Elapsed < LameDuck, $"the late client was served only after the lame duck ({clock.Elapsed})");

            // Drain: the idle clients get their FIN only once the lame duck is over.
            Assert.Equal((ConnectionEnd.Eof, 0L), await answering.ReadToEndAsync(ct));
            Assert.Equal((ConnectionEnd.Eof, 0L), await silent.ReadToEndAsync(ct));
            var drainStarted = clock.Elapsed;
            output.WriteLine($"drain began {drainStarted.TotalMilliseconds:0} ms after the shutdown started");
            Assert.True(drainStarted >= LameDuck - TimeSpan.FromMilliseconds(100), $"drain began after {drainStarted}, before the lame duck ended");

            // One client answers the FIN (closed: drained); the other stays silent, holding the drain for drain-linger.
            answering.ShutdownSend();
            await metrics.WaitUntilAsync(m => m.Closed(CloseReason.Drained) >= 1, Patience, "one drained close");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(new Uri(url, "/ready"), ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url, "/live"), ct)).StatusCode);
            var scrape = await http.GetStringAsync(new Uri(url, "/metrics"), ct);
            // peer-closed: the late client; drained: the one that answered the FIN.
            Assert.Equal(1, PrometheusText.Sample(scrape, "actorecho_connections_closed_total", CloseReasonTags.Text(CloseReason.Drained)));
            Assert.Equal(1, PrometheusText.Sample(scrape, "actorecho_connections_closed_total", CloseReasonTags.Text(CloseReason.PeerClosed)));

            silent.ShutdownSend();
            await stopping.WaitAsync(Patience, ct);
            await server.WhenTerminated.WaitAsync(Patience, ct);
            Assert.Equal(ServerReadiness.Stage.Stopped, server.Readiness.Current);
            // The endpoint stops with the actor system.
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(url, "/live"), ct));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Metrics_live_and_ready_are_served_on_one_port_and_count_closes_by_reason()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var metrics = new MetricsCapture();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await using var server = await StartAsync(s => s);
        var url = server.HttpAddress!;
        Assert.Equal(IPAddress.Loopback.ToString(), url.Host);
        Assert.NotEqual(0, url.Port);

        using (var client = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(1000, seed: 1);
            await client.AssertHalfCloseEchoAsync(data, ct);
        }
        await metrics.WaitUntilAsync(m => m.Closed(CloseReason.PeerClosed) == 1, Patience, "the client's close");

        var scrape = await http.GetAsync(new Uri(url, "/metrics"), ct);
        var body = await scrape.Content.ReadAsStringAsync(ct);
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal(1, PrometheusText.Sample(body, "actorecho_connections_accepted_total"));
        Assert.Equal(1000, PrometheusText.Sample(body, "actorecho_bytes_received_bytes_total"));
        Assert.Equal(1, PrometheusText.Sample(body, "actorecho_connections_closed_total", CloseReasonTags.Text(CloseReason.PeerClosed)));

        Assert.Equal("ok\n", await http.GetStringAsync(new Uri(url, "/ready"), ct));
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri(url, "/live"), ct));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(url, "/other"), ct)).StatusCode);
        using var post = await http.PostAsync(new Uri(url, "/ready"), new StringContent(""), ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task Without_a_lame_duck_the_drain_starts_at_once_and_ready_is_already_503()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        await using var server = await StartAsync(s => s with { IdleTimeout = null });
        using var idle = await ConnectEchoedAsync(server.LocalEndpoint, 5, ct);
        var clock = Stopwatch.StartNew();
        var stopping = server.StopAsync();
        Assert.Equal((ConnectionEnd.Eof, 0L), await idle.ReadToEndAsync(ct));
        Assert.False(server.Readiness.IsReady);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"FIN only after {clock.Elapsed}");
        idle.ShutdownSend();
        await stopping.WaitAsync(Patience, ct);
    }

    [Fact]
    public async Task A_http_endpoint_already_in_use_stops_the_start_with_one_line()
    {
        var (failure, port) = await InProcessEchoServer.AssertStartFailsOnATakenPortAsync(
            (s, port) => s with { HttpEndpoint = new Uri($"http://127.0.0.1:{port}") });
        output.WriteLine(failure.Message);
        Assert.Equal($"cannot serve HTTP on http://127.0.0.1:{port}: Address already in use", failure.Message);
    }

    private static Task<EchoServer> StartAsync(Func<EchoSettings, EchoSettings> configure) =>
        InProcessEchoServer.StartAsync(s => configure(s with { HttpEndpoint = new Uri("http://127.0.0.1:0") }));

    /// <summary>A client whose connection the server has surely accepted: one round trip done.</summary>
    private static async Task<LoopbackClient> ConnectEchoedAsync(IPEndPoint server, int seed, CancellationToken ct)
    {
        var client = await LoopbackClient.ConnectAsync(server, ct);
        await client.AssertEchoesAsync(seed, ct, length: 100);
        return client;
    }
}
