using System.Net.Sockets;
using System.Net;
using System.Text.RegularExpressions;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
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
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
        var url = new Uri($"http://127.0.0.1:{FreePort()}/metrics");
        var settings = EchoSettings.Create(ConfigLoader.Defaults) with { PrometheusEndpoint = url };
        await using var server = await EchoServer.StartAsync(ConfigLoader.Defaults, settings, new IPEndPoint(IPAddress.Loopback, 0));

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
        Assert.Equal(1, Sample(body, "actorecho_connections_accepted_total"));
        Assert.Equal(1000, Sample(body, "actorecho_bytes_received_bytes_total"));
        Assert.Contains("actorecho_connections_active", body);
    }

    [Fact]
    public async Task The_server_does_not_start_when_the_metrics_address_is_in_use()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var settings = EchoSettings.Create(ConfigLoader.Defaults) with
        {
            PrometheusEndpoint = new Uri($"http://127.0.0.1:{port}/metrics"),
        };

        var failure = await Assert.ThrowsAsync<BindFailedException>(
            () => EchoServer.StartAsync(ConfigLoader.Defaults, settings, new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Contains($"127.0.0.1:{port}", failure.Message);
    }

    private static EchoSettings WithEndpoint(string value) => EchoSettings.Create(
        ConfigurationFactory.ParseString($"actor-echo.metrics.prometheus-endpoint = {value}").WithFallback(ConfigLoader.Defaults));

    /// <summary>The value of the one sample of <paramref name="metric"/> in a Prometheus text exposition.</summary>
    private static double Sample(string exposition, string metric)
    {
        var match = Regex.Match(exposition, $@"^{metric}(\{{[^}}]*\}})? (?<value>\S+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no sample of {metric}");
        return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A port nothing listens on right now (bound, read, released: another process could take it in
    /// between, which on a test machine is rare enough).</summary>
    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
