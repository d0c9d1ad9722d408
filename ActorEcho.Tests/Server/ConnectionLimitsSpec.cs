using System.Net;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using ActorEcho.Tests.Tls;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>
/// The limits per connection (<c>max-connection-duration</c>, <c>max-bytes-per-connection</c>; akka.hocon) on real
/// loopback sockets, plain and TLS: the echo is complete up to the limit, then FIN (close_notify first on TLS), and the
/// close carries its reason on the meter and in the access log. The state machine's side, in virtual time, is in
/// EchoConnectionSpec.
/// </summary>
public sealed class ConnectionLimitsSpec(ITestOutputHelper output) : TlsKit(output)
{
    // The meter is process-wide and the virtual-time specs close for the same reasons in parallel: its counts are
    // checked for "at least one"; the access log line names this client.
    private const int Cap = 10_000;

    [Fact]
    public async Task Plain_byte_limit_echoes_exactly_the_cap_then_fin()
    {
        var ct = Deadline.After(Patience);
        using var metrics = new MetricsCapture();
        var lines = CaptureInfoLines();
        var (_, endpoint) = await StartListenerAsync(Settings(s => s with
        {
            MaxBytesPerConnection = Cap, Edge = s.Edge with { AccessLog = true },
        }));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(Cap + 15_000, 7);
        await client.SendAsync(data, ct);

        var (end, echoed) = await client.ReceiveUntilClosedAsync(ct);
        Assert.Equal(ConnectionEnd.Eof, end);
        Assert.Equal(data[..Cap], echoed);
        var line = await AccessLineAsync(lines, Format(client));
        Assert.Contains($" bytes_out={Cap} reason=byte-limit", line);
        await metrics.WaitUntilAsync(m => m.Closed(CloseReason.ByteLimit) >= 1, Patience, "a close for byte-limit");
    }

    [Fact]
    public async Task Tls_byte_limit_echoes_exactly_the_cap_then_close_notify()
    {
        var ct = Deadline.After(Patience);
        using var metrics = new MetricsCapture();
        var lines = CaptureInfoLines();
        var (_, endpoint) = await StartTlsListenerAsync(Settings(s => s with
        {
            MaxBytesPerConnection = Cap, Edge = s.Edge with { AccessLog = true },
        }));
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(Cap + 15_000, 8);
        await client.SendAsync(data, ct);

        // ReceiveToEnd ends at the server's close_notify: a FIN without it would fail the read.
        Assert.Equal(data[..Cap], await client.ReceiveToEndAsync(ct));
        var port = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
        await client.DisposeAsync();
        var line = await AccessLineAsync(lines, $"127.0.0.1:{port}");
        Assert.Contains($" bytes_out={Cap} reason=byte-limit", line);
        await metrics.WaitUntilAsync(m => m.Closed(CloseReason.ByteLimit) >= 1, Patience, "a close for byte-limit");
    }

    [Fact]
    public async Task Plain_duration_limit_closes_a_talking_client_with_fin_after_its_echo()
    {
        var ct = Deadline.After(Patience);
        using var metrics = new MetricsCapture();
        var lines = CaptureInfoLines();
        var (_, endpoint) = await StartListenerAsync(Settings(s => s with
        {
            MaxConnectionDuration = TimeSpan.FromSeconds(1), Edge = s.Edge with { AccessLog = true },
        }));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(1000, 9);
        Assert.Equal(data, await client.EchoAsync(data, ct));

        // Nothing more is sent: the limit, not the idle timeout (5 minutes here), ends it.
        var (end, rest) = await client.ReceiveUntilClosedAsync(ct);
        Assert.Equal(ConnectionEnd.Eof, end);
        Assert.Empty(rest);
        Assert.Contains(" bytes_out=1000 reason=duration-limit", await AccessLineAsync(lines, Format(client)));
        await metrics.WaitUntilAsync(m => m.Closed(CloseReason.DurationLimit) >= 1, Patience, "a close for duration-limit");
    }

    [Fact]
    public async Task Tls_duration_limit_sends_close_notify_after_the_echo()
    {
        var ct = Deadline.After(Patience);
        using var metrics = new MetricsCapture();
        var (_, endpoint) = await StartTlsListenerAsync(Settings(s => s with { MaxConnectionDuration = TimeSpan.FromSeconds(1) }));
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        await client.AssertEchoesAsync(10, ct);
        Assert.Empty(await client.ReceiveToEndAsync(ct));
        await metrics.WaitUntilAsync(m => m.Closed(CloseReason.DurationLimit) >= 1, Patience, "a close for duration-limit");
    }

    private static string Format(LoopbackClient client) => $"127.0.0.1:{((IPEndPoint)client.Socket.LocalEndPoint!).Port}";
}
