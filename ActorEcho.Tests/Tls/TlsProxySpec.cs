using System.Buffers.Binary;
using System.Net;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>
/// The PROXY protocol on the TLS listener (TLS passthrough behind a balancer, HAProxy <c>send-proxy-v2</c> in TCP
/// mode): the header comes before the ClientHello, is read by the same step as on the plain listener, and the client
/// it names is admitted (allow, deny, per-source limits) and logged before the handshake starts. Real loopback sockets.
/// </summary>
public sealed class TlsProxySpec(ITestOutputHelper output) : TlsKit(output)
{
    private static readonly IPAddress Source2 = IPAddress.Parse("127.0.0.2");

    private static EchoSettings Proxied(Func<EdgeSettings, EdgeSettings>? change = null) => Settings(s =>
    {
        var edge = s.Edge with
        {
            ProxyProtocol = ProxyProtocolMode.Any,
            TrustedSources = AddressList.Parse(["127.0.0.1"]),
            AccessLog = true,
        };
        return s with { Edge = change is null ? edge : change(edge) };
    });

    private static byte[] V1Header(string client, int port = 51000) =>
        Encoding.ASCII.GetBytes($"PROXY TCP4 {client} 127.0.0.1 {port} 2000\r\n");

    /// <summary>A v2 PROXY command over TCP/IPv4 (HAProxy's <c>send-proxy-v2</c>).</summary>
    private static byte[] V2Header(string client, int port = 52000)
    {
        byte[] signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
        var header = new byte[16 + 12];
        signature.CopyTo(header, 0);
        header[12] = 0x21; // version 2, PROXY
        header[13] = 0x11; // AF_INET, STREAM
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 12);
        IPAddress.Parse(client).GetAddressBytes().CopyTo(header, 16);
        IPAddress.Loopback.GetAddressBytes().CopyTo(header, 20);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), (ushort)port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(26), 2000);
        return header;
    }

    [Fact]
    public async Task A_v1_header_with_the_ClientHello_in_one_read_then_the_handshake_and_the_echo_for_the_client_it_names()
    {
        var ct = Deadline.After(Patience);
        var lines = CaptureInfoLines();
        var (_, endpoint) = await StartTlsListenerAsync(Proxied());
        await using (var client = await TlsClient.ConnectAsync(endpoint, ct, preamble: V1Header("198.51.100.7")))
        {
            var data = LoopbackClient.RandomBytes(12_345, 1);
            Assert.Equal(data, await client.EchoWithHalfCloseAsync(data, ct));
        }
        var line = await AccessLineAsync(lines, "198.51.100.7:51000");
        Assert.Contains(" via=127.0.0.1:", line);
        Assert.Contains(" reason=peer-closed ", line);
        Assert.Contains(" tls_protocol=TLSv1.", line);
    }

    [Fact]
    public async Task A_v2_header_in_its_own_read_then_the_handshake_and_the_echo_and_admission_judges_the_headers_client()
    {
        var ct = Deadline.After(Patience);
        var lines = CaptureInfoLines();
        var (listener, endpoint) = await StartTlsListenerAsync(Proxied(e => e with
        {
            PerSourceMaxConnections = 1,
            Deny = AddressList.Parse(["198.51.100.66"]),
        }));
        await using (var held = await TlsClient.ConnectAsync(endpoint, ct, preamble: V2Header("198.51.100.8"), preambleAlone: true))
        {
            await held.AssertEchoesAsync(1, ct, 5000); // 198.51.100.8 now holds its one slot
            // The same client through the same balancer is over its limit; a denied one is refused: both before any handshake.
            await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(endpoint, ct, preamble: V2Header("198.51.100.8", 52001)));
            await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(endpoint, ct, preamble: V2Header("198.51.100.66")));
            await using var other = await TlsClient.ConnectAsync(endpoint, ct, preamble: V2Header("198.51.100.9"));
            await other.AssertEchoesAsync(2, ct);
        }
        Assert.Contains(" reason=refused ", await AccessLineAsync(lines, "198.51.100.8:52001"));
        Assert.Contains(" tls_protocol=- ", await AccessLineAsync(lines, "198.51.100.66:52000"));
        await AwaitStatsAsync(listener, s => Assert.Equal((2L, 2L, 0), (s.Accepted, s.Rejected, s.Active)));
    }

    [Fact]
    public async Task A_malformed_header_or_none_closes_the_connection_before_any_handshake()
    {
        var ct = Deadline.After(Patience);
        var lines = CaptureInfoLines();
        var (listener, endpoint) = await StartTlsListenerAsync(Proxied());
        // A ClientHello where the header should be (a client that skipped the balancer), then garbage.
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(endpoint, ct));
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(endpoint, ct, preamble: Encoding.ASCII.GetBytes("PROXY TCP9 nonsense\r\n")));
        for (var i = 0; i < 2; i++)
        {
            var line = await lines.FishForMessageAsync<Akka.Event.Info>(info => $"{info.Message}".StartsWith("Access client=127.0.0.1:", StringComparison.Ordinal), Patience);
            Assert.Contains(" reason=proxy-header-invalid ", $"{line.Message}");
            Assert.Contains(" tls_protocol=- ", $"{line.Message}");
        }
        await AwaitStatsAsync(listener, s => Assert.Equal((0L, 0, 2L), (s.Accepted, s.Active, s.Closed)));
    }

    [Fact]
    public async Task A_header_that_does_not_complete_within_the_header_timeout_closes_before_any_handshake()
    {
        var ct = Deadline.After(Patience);
        var lines = CaptureInfoLines();
        var (_, endpoint) = await StartTlsListenerAsync(Proxied(e => e with { HeaderTimeout = TimeSpan.FromMilliseconds(300) }));
        using var balancer = await LoopbackClient.ConnectAsync(endpoint, ct, from: IPAddress.Loopback);
        await balancer.SendAsync(Encoding.ASCII.GetBytes("PROXY TCP4 198.51.100.7 "), ct);
        var (end, echoed) = await balancer.ReceiveUntilClosedAsync(ct);
        Assert.Equal(ConnectionEnd.Eof, end);
        Assert.Empty(echoed); // no alert, no ServerHello: no handshake was started
        var line = await lines.FishForMessageAsync<Akka.Event.Info>(info => $"{info.Message}".StartsWith("Access client=127.0.0.1:", StringComparison.Ordinal), Patience);
        Assert.Contains(" reason=proxy-header-timeout ", $"{line.Message}");
    }

    [LoopbackSourcesFact]
    public async Task An_untrusted_peer_that_sends_a_valid_header_is_closed_at_accept_as_on_the_plain_listener()
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartTlsListenerAsync(Proxied());
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.ConnectAsync(endpoint, ct, preamble: V1Header("198.51.100.7"), from: Source2));
        await AwaitStatsAsync(listener, s => Assert.Equal((0L, 1L), (s.Accepted, s.Rejected)));
    }
}
