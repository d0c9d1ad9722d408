using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary><c>actor-echo.metrics.prometheus-endpoint</c>: off by default; when set, the server serves the
/// <c>ActorEcho</c> meter in Prometheus' text format there.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class PrometheusEndpointSpec(ITestOutputHelper output)
{
    [Fact]
    public void The_endpoint_is_off_by_default_and_must_be_an_http_url_when_set()
    {
        Assert.Null(EchoSettings.Create(ConfigLoader.Defaults).PrometheusEndpoint);

        Assert.Equal(new Uri("http://127.0.0.1:9464/metrics"),
            WithEndpoint("\"http://127.0.0.1:9464/metrics\"").PrometheusEndpoint);
        Assert.Throws<SettingsException>(() => WithEndpoint("\"https://127.0.0.1:9464/metrics\""));
        Assert.Throws<SettingsException>(() => WithEndpoint("9464"));
    }

    [Fact]
    public async Task The_server_serves_its_counters_at_the_configured_url()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var url = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}/metrics");
        await using var server = await InProcessEchoServer.StartAsync(s => s with { PrometheusEndpoint = url });

        using (var client = await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(1000, seed: 1);
            Assert.Equal(data, await client.EchoAsync(data, ct));
        }

        using var http = new HttpClient();
        var response = await http.GetAsync(url, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Counted since the endpoint started, i.e. since this server did: exactly this one client.
        Assert.Equal(1, PrometheusText.Sample(body, "actorecho_connections_accepted_total"));
        Assert.Equal(1000, PrometheusText.Sample(body, "actorecho_bytes_received_bytes_total"));
        Assert.Contains("actorecho_connections_active", body);
    }

    [Fact]
    public async Task The_server_does_not_start_when_the_metrics_address_is_in_use()
    {
        var (failure, port) = await InProcessEchoServer.AssertStartFailsOnATakenPortAsync(
            (s, port) => s with { PrometheusEndpoint = new Uri($"http://127.0.0.1:{port}/metrics") });
        Assert.Contains($"127.0.0.1:{port}", failure.Message);
    }

    private static EchoSettings WithEndpoint(string value) => EchoSettings.Create(
        ConfigurationFactory.ParseString($"actor-echo.metrics.prometheus-endpoint = {value}").WithFallback(ConfigLoader.Defaults));
}
