using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Process;

/// <summary>
/// The built host under a low open-file limit (<c>ulimit -n</c>, soft and hard): the limit is read at start and
/// max-connections lowered to fit beside the runtime, with one warning and the limit on the bound line; clients over
/// the lowered limit are refused at once and the process stays up. A limit the runtime alone would exhaust is one line
/// and exit 2. Linux only (elsewhere the limit is not read).
/// </summary>
public sealed partial class DescriptorLimitProcessSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-descriptors-").FullName;

    [Fact]
    public async Task A_limit_the_runtime_alone_would_exhaust_is_one_line_naming_it_and_exit_2()
    {
        if (!OperatingSystem.IsLinux())
            return;
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0"], openFileLimit: 128);

        var exitCode = await host.WaitForExitAsync(Patience);

        output.WriteLine(host.StandardError);
        Assert.Equal(2, exitCode);
        Assert.Empty(host.StandardOutput);
        var line = Assert.Single(host.StandardError.Trim().Split('\n'));
        Assert.Contains("open-file limit 128", line);
    }

    [Fact]
    public async Task Max_connections_is_lowered_to_the_limit_and_the_clients_over_it_are_refused_while_the_rest_echo()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var config = Path.Combine(_directory, "descriptors.hocon");
        await File.WriteAllTextAsync(config, "actor-echo.http-endpoint = \"http://127.0.0.1:0\"\n");
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0", "--config", config], openFileLimit: 512);
        var server = await host.WaitListeningAsync(Patience);
        await host.WaitForLineAsync("Serving HTTP on ", Patience);
        await host.WaitForLineAsync("Memory bound:", Patience);
        var warning = LoweredLine().Match(host.StandardError);
        Assert.True(warning.Success, host.StandardError);
        var limit = int.Parse(warning.Groups[1].Value);
        Assert.InRange(limit, 50, 300);
        Assert.Matches($@"descriptors: limit 512, used at most \d+ \(reserve \d+ \+ listening and fixed \d+ \+ connections {limit}\)", host.StandardError);
        var metrics = new Uri(HttpLine().Match(host.StandardError).Groups[1].Value + "metrics");
        using (var http = new HttpClient())
        {
            Assert.Equal(limit, PrometheusText.Sample(await http.GetStringAsync(metrics), "actorecho_connections_limit"));
            // /ready says it too, in a header beside its one word.
            using var ready = await http.GetAsync(new Uri(metrics, "/ready"));
            Assert.Equal($"tcp={limit}", Assert.Single(ready.Headers.GetValues("Actor-Echo-Max-Connections")));
        }

        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < limit + 40; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(socket);
                await socket.ConnectAsync(server, ct);
            }
            // Each client sends one byte: those served get it back, those refused read the server's FIN.
            var outcomes = await Task.WhenAll(clients.Select(client => EchoOrEndAsync(client, ct)));
            output.WriteLine($"limit {limit}: {outcomes.Count(o => o)} echoed, {outcomes.Count(o => !o)} refused");
            Assert.Equal(limit, outcomes.Count(echoed => echoed));
            Assert.Equal(40, outcomes.Count(echoed => !echoed));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        // The clients left: every slot comes back, and the process is still up.
        var fresh = new List<LoopbackClient>();
        try
        {
            for (var i = 0; i < limit; i++)
                fresh.Add(await ConnectWhenServedAsync(server, ct));
        }
        finally
        {
            foreach (var client in fresh)
                client.Dispose();
        }
        Assert.Contains("Refused connections: ", host.StandardError);
    }

    /// <summary>A client connects and is echoed; while the server still counts the last round's connections as open,
    /// it is refused, and tries again until <paramref name="ct"/> runs out.</summary>
    private static async Task<LoopbackClient> ConnectWhenServedAsync(IPEndPoint server, CancellationToken ct)
    {
        while (true)
        {
            var client = await LoopbackClient.ConnectAsync(server, ct);
            await client.SendAsync("x"u8.ToArray(), ct);
            var (echoed, _) = await ReadOneAsync(client.Socket, ct);
            if (echoed)
                return client;
            client.Dispose();
            await Task.Delay(20, ct);
        }
    }

    private static async Task<bool> EchoOrEndAsync(Socket client, CancellationToken ct)
    {
        try
        {
            await client.SendAsync("x"u8.ToArray(), SocketFlags.None, ct);
        }
        catch (SocketException)
        {
            return false; // refused and already gone
        }
        return (await ReadOneAsync(client, ct)).Echoed;
    }

    /// <summary>Reads one byte: true if it came (echoed), false at FIN or reset (refused).</summary>
    private static async Task<(bool Echoed, int Read)> ReadOneAsync(Socket client, CancellationToken ct)
    {
        var buffer = new byte[1];
        try
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, ct);
            return (read == 1, read);
        }
        catch (SocketException)
        {
            return (false, 0);
        }
    }

    [GeneratedRegex(@"Descriptors: actor-echo\.max-connections = 10000 needs more than the open-file limit 512 allows .*serving at most (\d+) TCP connection")]
    private static partial Regex LoweredLine();

    [GeneratedRegex(@"Serving HTTP on (http://\S+)")]
    private static partial Regex HttpLine();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
