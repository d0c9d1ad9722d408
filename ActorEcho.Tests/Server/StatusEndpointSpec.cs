using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorEcho.Hosting;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Server;

/// <summary>The status page (<c>GET /</c>) and what it reads (<c>GET /status.json</c>) on the HTTP endpoint, in
/// process; <c>Process/StatusPageProcessSpec</c> opens the page in a real browser. No path accepts a method that
/// could change anything.</summary>
public sealed partial class StatusEndpointSpec
{
    [Fact]
    public async Task The_page_is_one_self_contained_html_file()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        await using var server = await StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(server.HttpAddress!, "/"), ct);
        var html = await response.Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("id=\"connections-open\"", html);
        Assert.Contains("<noscript>", html);
        // Nothing fetched from elsewhere: no URL with a scheme or a host, no external script, style or font.
        Assert.DoesNotMatch(ExternalReference(), html);
        var policy = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("script-src 'sha256-", policy);
    }

    [Fact]
    public async Task Status_json_counts_the_open_connections_and_shows_the_budget()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        await using var server = await StartAsync();
        var clients = new List<LoopbackClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await LoopbackClient.ConnectAsync(server.LocalEndpoint, ct));
                await clients[^1].AssertEchoesAsync(seed: i, ct);
            }
            using var http = new HttpClient();
            using var response = await http.GetAsync(new Uri(server.HttpAddress!, HttpEndpoint.StatusJsonPath), ct);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var root = status.RootElement;

            Assert.Equal(3, root.GetProperty("connections").GetProperty("open").GetInt32());
            Assert.Equal(3, root.GetProperty("connections").GetProperty("accepted").GetInt64());
            var tcp = root.GetProperty("listeners")[0];
            Assert.Equal("tcp", tcp.GetProperty("name").GetString());
            Assert.Equal(server.Address(), tcp.GetProperty("address").GetString());
            Assert.Equal(server.Settings.MaxBufferedBytes, root.GetProperty("memory").GetProperty("maxBufferedBytes").GetInt64());
            Assert.True(root.GetProperty("memory").GetProperty("boundBytes").GetInt64() > server.Settings.MaxBufferedBytes);
            Assert.True(root.GetProperty("memory").GetProperty("rssBytes").GetInt64() > 0);
            Assert.Equal(0, root.GetProperty("paused").GetProperty("byBudget").GetInt32());
            Assert.Equal(JsonValueKind.Array, root.GetProperty("traffic").GetProperty("points").ValueKind);
            Assert.Equal(JsonValueKind.Array, root.GetProperty("table").GetProperty("first").ValueKind);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Every_path_refuses_a_method_other_than_get_and_head(string method)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        await using var server = await StartAsync();
        using var http = new HttpClient();
        string[] paths = [HttpEndpoint.StatusPagePath, HttpEndpoint.StatusJsonPath, HttpEndpoint.MetricsPath,
            HttpEndpoint.ReadyPath, HttpEndpoint.LivePath];
        foreach (var path in paths)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(server.HttpAddress!, path))
            {
                Content = new StringContent("x"),
            };
            using var response = await http.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {path}: {response.StatusCode}");
        }
        foreach (var path in paths)
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(server.HttpAddress!, path)), ct);
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {path}: {head.StatusCode}");
        }
    }

    private static Task<EchoServer> StartAsync() =>
        InProcessEchoServer.StartAsync(s => s with { HttpEndpoint = new Uri("http://127.0.0.1:0") });

    /// <summary>A URL with a scheme or a protocol-relative one, anywhere in the page.</summary>
    [GeneratedRegex(@"(https?:|wss?:|ftp:)?//[a-zA-Z0-9]|@import|url\(")]
    private static partial Regex ExternalReference();
}
