using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>The TLS listener on real loopback sockets with SslStream clients: exact echoes, half-close by
/// close_notify, several clients at once, and the clients that are not TLS at all.</summary>
public sealed class TlsEchoSpec(ITestOutputHelper output) : TlsKit(output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(16 * 1024 + 1)]
    [InlineData(1024 * 1024)]
    [InlineData(10 * 1024 * 1024)]
    public async Task Echoes_exactly_then_answers_the_clients_close_notify_with_its_own(int length)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var (_, endpoint) = await StartTlsListenerAsync(Settings());
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(length, seed: length);

        // ShutdownAsync is our close_notify: the server finishes the echo, then its close_notify ends our reads.
        var echo = await client.EchoWithHalfCloseAsync(data, ct);

        Assert.Equal(data.Length, echo.Length);
        Assert.True(data.AsSpan().SequenceEqual(echo), "the echo differs from what was sent");
        // ... and the TCP connection ends too (FIN) after the close_notify.
        Assert.Equal(0, await client.Socket.ReceiveAsync(new byte[1], SocketFlags.None, ct));
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Half_close_by_close_notify_finishes_the_echo_in_either_version(SslProtocols protocol)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings());
        await using var client = await TlsClient.ConnectAsync(endpoint, ct, protocols: protocol);
        Assert.Equal(protocol, client.Stream.SslProtocol);
        var data = LoopbackClient.RandomBytes(300_000, seed: (int)protocol);

        var echo = await client.EchoWithHalfCloseAsync(data, ct);

        Assert.True(data.AsSpan().SequenceEqual(echo), "the echo differs from what was sent");
    }

    [Fact]
    public async Task The_drain_sends_close_notify_then_FIN_to_an_idle_client()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartTlsListenerAsync(Settings(s => s with { DrainQuiet = TimeSpan.FromMilliseconds(200) }));
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        await client.AssertEchoesAsync(seed: 5, ct);

        var drained = listener.Ask<Akka.Done>(EchoProtocol.DrainConnections.Instance, TimeSpan.FromSeconds(20));

        Assert.Empty(await client.ReceiveToEndAsync(ct)); // close_notify: the TLS stream ends cleanly
        Assert.Equal(0, await client.Socket.ReceiveAsync(new byte[1], SocketFlags.None, ct)); // then FIN
        await drained;
    }

    [Fact]
    public async Task An_idle_client_gets_close_notify_at_the_idle_timeout()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings(s => s with { IdleTimeout = TimeSpan.FromSeconds(1) }));
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        await client.AssertEchoesAsync(seed: 6, ct);

        Assert.Empty(await client.ReceiveToEndAsync(ct));
    }

    [Fact]
    public async Task Serves_100_clients_at_once_each_its_own_bytes()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(60));
        var (_, endpoint) = await StartTlsListenerAsync(Settings());
        await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            await using var client = await TlsClient.ConnectAsync(endpoint, ct);
            await client.AssertEchoesAsync(seed: i, ct, length: 100 + i);
            var data = LoopbackClient.RandomBytes(3000, seed: -i);
            var echo = await client.EchoWithHalfCloseAsync(data, ct);
            Assert.True(data.AsSpan().SequenceEqual(echo), $"client {i}: wrong echo");
        }));
    }

    [Fact]
    public async Task Serves_10_clients_of_2_MB_at_once_byte_for_byte()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(90));
        var (_, endpoint) = await StartTlsListenerAsync(Settings());
        await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            await using var client = await TlsClient.ConnectAsync(endpoint, ct);
            var data = LoopbackClient.RandomBytes(2 * 1024 * 1024, seed: i);
            var echo = await client.EchoWithHalfCloseAsync(data, ct);
            Assert.True(data.AsSpan().SequenceEqual(echo), $"client {i}: wrong echo");
        }));
    }

    [Fact]
    public async Task A_client_that_sends_garbage_instead_of_a_ClientHello_is_closed_unechoed_and_others_are_served()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartTlsListenerAsync(Settings());
        await using var bystander = await TlsClient.ConnectAsync(endpoint, ct);
        using var garbage = await LoopbackClient.ConnectAsync(endpoint, ct);
        var junk = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray().Concat(LoopbackClient.RandomBytes(2000, 7)).ToArray();

        await garbage.SendAsync(junk, ct);
        var (end, answer) = await garbage.ReceiveUntilClosedAsync(ct);

        Output?.WriteLine($"garbage client: {end} after {answer.Length} bytes");
        // At most a TLS alert record (content type 21), never any of the bytes sent.
        Assert.True(answer.Length == 0 || answer[0] == 21, $"the server answered {answer.Length} bytes that are not an alert");
        Assert.False(answer.Length >= 16 && junk.AsSpan().IndexOf(answer.AsSpan(0, 16)) >= 0, "garbage echoed in the clear");
        await bystander.AssertEchoesAsync(seed: 1, ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));
    }

    [Fact]
    public async Task A_client_that_sends_nothing_is_closed_at_the_handshake_timeout()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var timeout = TimeSpan.FromMilliseconds(500);
        var (listener, endpoint) = await StartTlsListenerAsync(Settings(), handshakeTimeout: timeout);
        var clock = Stopwatch.StartNew(); // before the connect (docs/code-notes.md, "Specs against the clock")
        using var silent = await LoopbackClient.ConnectAsync(endpoint, ct);

        var (_, answer) = await silent.ReceiveUntilClosedAsync(ct);

        var took = clock.Elapsed;
        Output?.WriteLine($"closed after {took.TotalMilliseconds:F0} ms");
        Assert.Empty(answer);
        Assert.InRange(took, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(5));
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));
    }

    [Fact]
    public async Task A_client_that_offers_only_TLS_1_1_is_refused()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartTlsListenerAsync(Settings());
#pragma warning disable SYSLIB0039 // TLS 1.1 on purpose: the server must refuse it.
        var refusal = await Record.ExceptionAsync(() => TlsClient.ConnectAsync(endpoint, ct, protocols: SslProtocols.Tls11));
#pragma warning restore SYSLIB0039
        // Whether the client's own TLS library could even offer 1.1 (OpenSSL 3 refuses at its default security
        // level), the handshake must fail; say which of the two happened.
        Output?.WriteLine($"TLS 1.1 client: {refusal?.GetType().Name}: {refusal?.Message} / {refusal?.InnerException?.Message}");
        Assert.True(refusal is AuthenticationException or IOException, $"a TLS 1.1-only client was served ({refusal})");
        await using var modern = await TlsClient.ConnectAsync(endpoint, ct);
        await modern.AssertEchoesAsync(seed: 2, ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));
    }

    /// <summary>The same refusal, independent of what the client's own TLS library still allows: a hand-made
    /// TLS 1.1 ClientHello (no supported_versions extension) gets no ServerHello, at most an alert, and the close.</summary>
    [Fact]
    public async Task A_hand_made_TLS_1_1_ClientHello_gets_no_ServerHello()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings());
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        byte[] body =
        [
            0x03, 0x02, // client_version: TLS 1.1
            .. LoopbackClient.RandomBytes(32, 11), // random
            0x00, // no session id
            0x00, 0x04, 0xC0, 0x14, 0x00, 0x2F, // two TLS 1.1 cipher suites
            0x01, 0x00, // null compression only
        ];
        byte[] handshake = [0x01, 0x00, (byte)(body.Length >> 8), (byte)body.Length, .. body];
        byte[] record = [0x16, 0x03, 0x01, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];

        await client.SendAsync(record, ct);
        var (end, answer) = await client.ReceiveUntilClosedAsync(ct);

        Output?.WriteLine($"TLS 1.1 ClientHello: {end} after [{Convert.ToHexString(answer)}]");
        Assert.True(answer.Length == 0 || answer[0] == 21, "the server answered a TLS 1.1 ClientHello with something other than an alert");
    }

    [Fact]
    public async Task Plain_TCP_and_TLS_listeners_side_by_side_each_serve_their_own()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, plainEndpoint) = await StartListenerAsync(Settings());
        var (_, tlsEndpoint) = await StartTlsListenerAsync(Settings());
        using var plain = await LoopbackClient.ConnectAsync(plainEndpoint, ct);
        await using var tls = await TlsClient.ConnectAsync(tlsEndpoint, ct);
        await plain.AssertEchoesAsync(seed: 3, ct);
        await tls.AssertEchoesAsync(seed: 4, ct);
    }
}
