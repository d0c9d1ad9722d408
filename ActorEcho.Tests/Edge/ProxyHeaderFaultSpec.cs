using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;
using static ActorEcho.Tests.Edge.ProxyHeaders;

namespace ActorEcho.Tests.Edge;

/// <summary>
/// The bad and odd PROXY headers of docs/reliability.md (HAProxy's reg-tests/connection/proxy_protocol_* and
/// Envoy's proxy_protocol fuzz corpus as anchors) sent by a trusted balancer to a running listener, each followed
/// by a payload: a bad one is closed before the header timeout with nothing echoed and the next client is served;
/// an odd but valid one is consumed and exactly the payload comes back; a header that stops half-way is closed
/// at the header timeout.
/// </summary>
public sealed class ProxyHeaderFaultSpec(ITestOutputHelper output) : ServerKit(output)
{
    /// <summary>Long enough that a close before it cannot be the timer's, even on a loaded machine.</summary>
    private static readonly TimeSpan LongHeaderTimeout = TimeSpan.FromSeconds(3);

    private static readonly byte[] Payload = LoopbackClient.RandomBytes(300, seed: 29);

    private static EchoSettings Proxied(TimeSpan headerTimeout) => Settings(s => s with
    {
        Edge = s.Edge with
        {
            ProxyProtocol = ProxyProtocolMode.Any,
            TrustedSources = AddressList.Parse(["127.0.0.0/8"]),
            HeaderTimeout = headerTimeout,
        },
    });

    private static readonly Dictionary<string, byte[]> BadHeaders = new()
    {
        ["v1: no CRLF within 107 bytes"] = V1("PROXY UNKNOWN " + new string('a', 100)),
        ["v1: an over-long line (its CRLF at byte 115)"] = V1("PROXY UNKNOWN " + new string('a', 100) + "\r\n"),
        ["v1: unknown family"] = V1("PROXY UDP4 203.0.113.7 192.0.2.1 51000 2000\r\n"),
        ["v1: port out of range"] = V1("PROXY TCP4 203.0.113.7 192.0.2.1 65536 2000\r\n"),
        ["v1: port not a number"] = V1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 0x7D0\r\n"),
        ["v1: an IPv6 address under TCP4"] = V1("PROXY TCP4 2001:db8::7 192.0.2.1 51000 2000\r\n"),
        ["v1: LF without CR"] = V1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 2000\n"),
        ["v2: wrong signature"] = Damaged(V2(1, 0x11, Addresses(Client4, Server4)), 11, 0x0B),
        ["v2: version 1 in the v2 signature"] = Damaged(V2(1, 0x11, Addresses(Client4, Server4)), 12, 0x11),
        ["v2: version 3"] = Damaged(V2(1, 0x11, Addresses(Client4, Server4)), 12, 0x31),
        ["v2: IPv4 address length 11, below the family's 12"] = V2(1, 0x11, new byte[11]),
        ["v2: IPv6 address length 35, below the family's 36"] = V2(1, 0x21, new byte[35]),
        ["v2: a TLV running past the header's end"] =
            V2(1, 0x11, Addresses(Client4, Server4, Tlv(0x05, new byte[8], declaredLength: 9))),
        ["v2: length over the 1,024-byte bound"] = V2(1, 0x11, Addresses(Client4, Server4), declaredLength: 1025),
        ["not a header at all"] = "GET / HTTP/1.1\r\n\r\n"u8.ToArray(),
    };

    private static byte[] Damaged(byte[] header, int index, byte value)
    {
        header[index] = value;
        return header;
    }

    public static TheoryData<string> BadHeaderNames => [.. BadHeaders.Keys];

    [Theory]
    [MemberData(nameof(BadHeaderNames))]
    public async Task A_bad_header_is_closed_before_the_header_timeout_with_nothing_echoed_and_the_next_client_is_served(string fault)
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(Proxied(LongHeaderTimeout));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var clock = Stopwatch.StartNew();

        var (end, echoed) = await SendAndReadUntilClosedAsync(client, [.. BadHeaders[fault], .. Payload], ct);

        Output?.WriteLine($"{fault}: {end} after {clock.ElapsedMilliseconds} ms, {echoed.Length} bytes back");
        Assert.Empty(echoed);
        Assert.True(clock.Elapsed < LongHeaderTimeout, $"closed after {clock.Elapsed}: by the timer, not at the bad byte");
        await AssertServesAValidHeaderAsync(endpoint, ct);
        await AwaitStatsAsync(listener, s => Assert.Equal((0, 1L), (s.Active, s.Accepted)));
    }

    private static readonly Dictionary<string, Func<LoopbackClient, CancellationToken, Task>> OddButValid = new()
    {
        // LOCAL: the receiver must discard the address block whatever it holds (addresses, TLVs).
        ["v2: LOCAL with IPv4 addresses and TLVs"] = (c, ct) =>
            c.SendAsync(V2(0, 0x11, Addresses(Client4, Server4, HaproxyTlvs())), ct),
        ["v2: LOCAL, UNSPEC, with 20 bytes of anything"] = (c, ct) =>
            c.SendAsync(V2(0, 0x00, LoopbackClient.RandomBytes(20, seed: 3)), ct),
        ["v2: PROXY over IPv6 with TLVs, a byte at a time"] = (c, ct) =>
            SendAByteAtATimeAsync(c, V2(1, 0x21, Addresses(Client6, Server6, HaproxyTlvs())), ct),
        ["v1: TCP6, a byte at a time"] = (c, ct) =>
            SendAByteAtATimeAsync(c, V1("PROXY TCP6 2001:db8::7 2001:db8::1 51000 2000\r\n"), ct),
        ["v1: UNKNOWN with anything after it"] = (c, ct) => c.SendAsync(V1("PROXY UNKNOWN \u0001 whatever\r\n"), ct),
    };

    public static TheoryData<string> OddButValidNames => [.. OddButValid.Keys];

    [Theory]
    [MemberData(nameof(OddButValidNames))]
    public async Task An_odd_but_valid_header_is_consumed_and_exactly_the_payload_comes_back(string input)
    {
        var ct = Deadline.After(Patience);
        var (listener, endpoint) = await StartListenerAsync(Proxied(LongHeaderTimeout));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);

        await OddButValid[input](client, ct);
        Assert.Equal(Payload, await client.EchoWithHalfCloseAsync(Payload, ct));

        await AwaitStatsAsync(listener, s => Assert.Equal((0, 1L), (s.Active, s.Accepted)));
    }

    [Fact]
    public async Task A_header_that_stops_half_way_is_closed_at_the_header_timeout_with_nothing_echoed()
    {
        var ct = Deadline.After(Patience);
        var headerTimeout = TimeSpan.FromMilliseconds(500);
        var (listener, endpoint) = await StartListenerAsync(Proxied(headerTimeout));
        var header = V2(1, 0x11, Addresses(Client4, Server4, HaproxyTlvs()));
        var clock = Stopwatch.StartNew(); // before the connect (docs/code-notes.md, "Specs against the clock")
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);

        // Everything but the last byte, then silence: the server can only wait.
        var (end, echoed) = await SendAndReadUntilClosedAsync(client, header[..^1], ct);

        Output?.WriteLine($"closed ({end}) after {clock.ElapsedMilliseconds} ms");
        Assert.Empty(echoed);
        Assert.InRange(clock.Elapsed, headerTimeout - TimeSpan.FromMilliseconds(50), headerTimeout + TimeSpan.FromSeconds(5));
        await AssertServesAValidHeaderAsync(endpoint, ct);
        await AwaitStatsAsync(listener, s => Assert.Equal((0, 1L), (s.Active, s.Accepted)));
    }

    /// <summary>Sends <paramref name="bytes"/> (a send that meets the server's close is no error here) and reads
    /// until the connection ends.</summary>
    private static async Task<(ConnectionEnd End, byte[] Bytes)> SendAndReadUntilClosedAsync(LoopbackClient client,
        byte[] bytes, CancellationToken ct)
    {
        var reading = client.ReceiveUntilClosedAsync(ct);
        try
        {
            await client.SendAsync(bytes, ct);
        }
        catch (SocketException)
        {
            // The server closed at the bad byte, before the rest arrived: the read reports how.
        }
        return await reading;
    }

    private static async Task SendAByteAtATimeAsync(LoopbackClient client, byte[] bytes, CancellationToken ct)
    {
        for (var i = 0; i < bytes.Length; i++)
            await client.SendAsync(bytes.AsMemory(i, 1), ct);
    }

    private static async Task AssertServesAValidHeaderAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        using var next = await LoopbackClient.ConnectAsync(endpoint, ct);
        await next.SendAsync(V1("PROXY TCP4 198.51.100.9 192.0.2.1 40000 2000\r\n"), ct);
        Assert.Equal(Payload, await next.EchoWithHalfCloseAsync(Payload, ct));
    }
}
