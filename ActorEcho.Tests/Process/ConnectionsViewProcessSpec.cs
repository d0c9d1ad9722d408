using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Process;

/// <summary>
/// <c>GET /connections</c> of the host process behind a real HAProxy that sends a PROXY v2 header: the listed client
/// is the real client (127.0.0.2 and its port), <c>via</c> is HAProxy's address, and the connection is echoing.
/// </summary>
public sealed partial class ConnectionsViewProcessSpec
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [GeneratedRegex(@"Serving HTTP on (http://\S+?)/? ")]
    private static partial Regex ServingHttp();

    [HaproxyTheory]
    [InlineData("send-proxy-v2")]
    public async Task Through_HAProxy_the_listed_client_is_the_real_client_and_via_is_the_balancer(string sendProxy)
    {
        var ct = Deadline.After(Patience * 2);
        var settings = await EdgeProcessSpec.WriteTempAsync("hocon", """
            actor-echo {
              proxy-protocol { mode = any, trusted-sources = ["127.0.0.1/32"] }
              http-endpoint = "http://127.0.0.1:0"
            }
            """);
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", settings);
        var server = await host.WaitListeningAsync(Patience);
        await host.WaitForLineAsync("Serving HTTP on ", Patience);
        var http = new Uri(ServingHttp().Match(host.StandardError).Groups[1].Value);
        var front = LoopbackPorts.Free();
        using var haproxy = await EdgeProcessSpec.StartHaproxyAsync(front, server.Port, sendProxy);
        using var web = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var client = await EdgeProcessSpec.ConnectWhenListeningAsync(new IPEndPoint(IPAddress.Loopback, front), haproxy, ct);
            await client.AssertEchoesAsync(7, ct);
            var clientPort = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;

            // HAProxy's own health checks are off (no "check"), so the one connection is the client's.
            using var listing = JsonDocument.Parse(await web.GetStringAsync(new Uri(http, "/connections"), ct));
            var row = Assert.Single(listing.RootElement.GetProperty("connections").EnumerateArray());
            Assert.Equal($"127.0.0.2:{clientPort}", row.GetProperty("client").GetString());
            Assert.Matches(@"^127\.0\.0\.1:\d+$", row.GetProperty("via").GetString());
            Assert.Equal($"127.0.0.1:{server.Port}", row.GetProperty("listener").GetString());
            Assert.Equal("tcp", row.GetProperty("transport").GetString());
            Assert.Equal("echoing", row.GetProperty("state").GetString());
            Assert.Equal(1000, row.GetProperty("bytes_in").GetInt64());

            using var sources = JsonDocument.Parse(await web.GetStringAsync(new Uri(http, "/sources"), ct));
            var source = Assert.Single(sources.RootElement.GetProperty("sources").EnumerateArray());
            Assert.Equal("127.0.0.2", source.GetProperty("source").GetString());
            Assert.Equal(1, source.GetProperty("open").GetInt32());
        }
        finally
        {
            haproxy.Kill();
            await haproxy.WaitForExitAsync(ct);
        }
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(Patience));
    }
}
