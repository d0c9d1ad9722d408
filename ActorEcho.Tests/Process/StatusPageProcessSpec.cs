using System.Text.RegularExpressions;
using ActorEcho.Tests.Support;
using ActorEcho.Tests.Tls;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Process;

/// <summary>
/// The status page (<c>GET /</c> on the HTTP endpoint) in a real browser: the system's headless Chromium, driven by
/// PuppeteerSharp (which never downloads one here), against the real server process. With
/// <c>ACTOR_ECHO_STATUS_SCREENSHOT=file.png</c> the spec also saves what the browser drew (README's picture).
/// </summary>
public sealed partial class StatusPageProcessSpec(ITestOutputHelper output) : IDisposable
{
    private const int Clients = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-page-").FullName;

    [ToolFact("chromium")]
    public async Task The_page_shows_20_connected_clients_and_draws_its_chart_without_a_console_error()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(120));
        var config = Path.Combine(_directory, "page.hocon");
        await File.WriteAllTextAsync(config, """
            actor-echo.http-endpoint = "http://127.0.0.1:0"
            actor-echo.tls { bind-address = "127.0.0.1:0", certificate = self-signed }
            """, ct);
        await using var host = HostProcess.Start(["127.0.0.1:0", "--config", config]);
        var endpoint = await host.WaitListeningAsync(Patience);
        await host.WaitForLineAsync("Serving HTTP on", Patience);
        var page = new Uri(HttpLine().Match(host.StandardError).Groups[1].Value);

        var clients = new List<LoopbackClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var client = await LoopbackClient.ConnectAsync(endpoint, ct);
                clients.Add(client);
                await client.AssertEchoesAsync(seed: i, ct);
            }

            var problems = new List<string>();
            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = ToolFactAttribute.FindOnPath("chromium"),
                Headless = true,
                Args = ["--no-sandbox"], // the specs may run as root
                DefaultViewport = new ViewPortOptions { Width = 1200, Height = 900 },
            });
            await using var tab = await browser.NewPageAsync();
            tab.Console += (_, e) =>
            {
                if (e.Message.Type == ConsoleType.Error)
                    problems.Add($"console: {e.Message.Text}");
            };
            tab.PageError += (_, e) => problems.Add($"page error: {e.Message}");
            var response = await tab.GoToAsync(page.ToString());
            Assert.Equal(System.Net.HttpStatusCode.OK, response.Status);

            // The page fetches status.json every 2 s: 20 must show within a few refreshes.
            await tab.WaitForFunctionAsync(
                $"() => document.getElementById('connections-open').textContent === '{Clients}'",
                new WaitForFunctionOptions { Timeout = 20_000, PollingInterval = 100 });
            // The chart needs two samples (one at start, then one every 2 s): wait for its line.
            await tab.WaitForFunctionAsync(
                "() => /^M[\\d.]+ [\\d.]+/.test(document.getElementById('traffic-in').getAttribute('d'))",
                new WaitForFunctionOptions { Timeout = 20_000, PollingInterval = 100 });
            var listeners = await tab.EvaluateExpressionAsync<string>("document.getElementById('listeners').textContent");
            Assert.Contains(EndpointText(endpoint), listeners);
            Assert.Matches(@"^TLS certificate: CN=ActorEcho self-signed, expires \d{4}-\d\d-\d\d \(in 36[45] days\)$",
                await tab.EvaluateExpressionAsync<string>("document.getElementById('certificate').textContent"));

            // A reload (SIGHUP) shows in the header at the next refresh.
            host.Signal(1);
            await host.WaitForLineAsync("Reload: no change", Patience);
            await tab.WaitForFunctionAsync(
                "() => /^reloaded \\d+s ago \\(signal\\)$/.test(document.getElementById('reload').textContent)",
                new WaitForFunctionOptions { Timeout = 20_000, PollingInterval = 100 });
            Assert.DoesNotContain("stale", await tab.EvaluateExpressionAsync<string>("document.getElementById('updated').className"));

            if (Environment.GetEnvironmentVariable("ACTOR_ECHO_STATUS_SCREENSHOT") is { Length: > 0 } file)
            {
                await tab.ScreenshotAsync(file, new ScreenshotOptions { FullPage = true });
                output.WriteLine($"screenshot: {file}");
            }
            Assert.Empty(problems);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string EndpointText(System.Net.IPEndPoint endpoint) => $"{endpoint.Address}:{endpoint.Port}";

    [GeneratedRegex(@"Serving HTTP on (http://\S+)")]
    private static partial Regex HttpLine();
}
