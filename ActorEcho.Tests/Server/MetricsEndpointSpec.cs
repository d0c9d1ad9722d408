using System.Net;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary><c>GET /metrics</c> on <c>actor-echo.http-endpoint</c>: the <c>ActorEcho</c> meter in Prometheus'
/// text format.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class MetricsEndpointSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task The_server_serves_its_counters_at_slash_metrics()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        await using var server = await InProcessEchoServer.StartAsync(s => s with { HttpEndpoint = new Uri("http://127.0.0.1:0") });

        using (var client = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(1000, seed: 1);
            Assert.Equal(data, await client.EchoAsync(data, ct));
        }

        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(server.HttpAddress!, "/metrics"), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Counted since the endpoint started, i.e. since this server did: exactly this one client.
        Assert.Equal(1, PrometheusText.Sample(body, "actorecho_connections_accepted_total"));
        Assert.Equal(1000, PrometheusText.Sample(body, "actorecho_bytes_received_bytes_total"));
        Assert.Contains("actorecho_connections_active", body);
    }
}
