using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Process;

/// <summary>The generic host around the server, seen from outside: systemd's readiness protocol and the JSON log.</summary>
public sealed class HostingEndToEndSpec : IDisposable
{
    private const int SigTerm = 15;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-hosting-").FullName;

    [Fact]
    public async Task Notify_socket_gets_ready_once_listening_and_stopping_at_sigterm()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var path = Path.Combine(_directory, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(path));

        await using var host = HostProcess.Start(["127.0.0.1:0"], new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = path });
        Assert.Equal("READY=1", await ReceiveAsync(notify, ct));
        // READY=1 follows the Listening line, written and flushed before it; the listener is bound by then.
        var endpoint = await host.WaitListeningAsync(Patience);
        using (var client = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(100, seed: 3);
            Assert.Equal(data, await client.EchoAsync(data, ct));
        }

        host.Signal(SigTerm);
        Assert.Equal("STOPPING=1", await ReceiveAsync(notify, ct));
        Assert.Equal(0, await host.WaitForExitAsync(Patience));
    }

    [Fact]
    public async Task Json_log_format_writes_one_object_per_stderr_line_with_the_client_address_as_a_field()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var config = Path.Combine(_directory, "json.hocon");
        await File.WriteAllTextAsync(config, "actor-echo.log-format = json", ct);
        await using var host = await HostProcess.StartServerAsync("127.0.0.1:0", "--config", config);
        var endpoint = await host.WaitListeningAsync(Patience);
        string remote;
        using (var client = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            remote = client.Socket.LocalEndPoint!.ToString()!;
            var data = LoopbackClient.RandomBytes(100, seed: 4);
            Assert.Equal(data, await client.EchoAsync(data, ct));
        }
        await host.WaitForLineAsync("Accepting connection", Patience);
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(Patience));

        var lines = host.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var events = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.All(events, e => Assert.Equal(JsonValueKind.Object, e.ValueKind));
        Assert.Contains(events, e =>
            e.GetProperty("Message").GetString() == $"Accepting connection from {remote}" &&
            e.GetProperty("State").GetProperty("Remote").GetString() == remote);
    }

    private static async Task<string> ReceiveAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[512];
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
        return Encoding.ASCII.GetString(buffer, 0, received).Trim();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
