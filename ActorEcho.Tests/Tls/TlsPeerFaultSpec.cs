using System.Diagnostics;
using System.Net.Sockets;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>TLS peers that stop half-way: a ClientHello that never completes, and a peer whose TCP connection
/// ends without close_notify (after an echo, or in the middle of a record). Each ends its own connection only.</summary>
public sealed class TlsPeerFaultSpec(ITestOutputHelper output) : TlsKit(output)
{
    [Fact]
    public async Task A_truncated_ClientHello_held_open_is_closed_at_the_handshake_timeout_and_others_are_served()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var timeout = TimeSpan.FromMilliseconds(500);
        var (listener, endpoint) = await StartTlsListenerAsync(Settings(), handshakeTimeout: timeout);
        var clock = Stopwatch.StartNew(); // before the connect (docs/code-notes.md, "Specs against the clock")
        using var stalled = await LoopbackClient.ConnectAsync(endpoint, ct);

        // A handshake record announcing a 512-byte ClientHello, and only its first 40 bytes: the server can only wait.
        byte[] truncated =
        [
            0x16, 0x03, 0x01, 0x02, 0x00, // handshake record, 512 bytes
            0x01, 0x00, 0x01, 0xFC, // ClientHello, 508 bytes
            0x03, 0x03, .. LoopbackClient.RandomBytes(29, seed: 5), // TLS 1.2, the random's first 29 bytes
        ];
        await stalled.SendAsync(truncated, ct);
        var (end, answer) = await stalled.ReceiveUntilClosedAsync(ct);

        Output?.WriteLine($"closed ({end}) after {clock.ElapsedMilliseconds} ms, {answer.Length} bytes back");
        Assert.True(answer.Length == 0 || answer[0] == 21, "the server answered with something other than an alert");
        Assert.InRange(clock.Elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(5));
        await using var next = await TlsClient.ConnectAsync(endpoint, ct);
        await next.AssertEchoesAsync(seed: 1, ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_peer_that_closes_without_close_notify_ends_its_own_connection_and_a_bystander_is_served(bool midRecord)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartTlsListenerAsync(Settings());
        await using var bystander = await TlsClient.ConnectAsync(endpoint, ct);
        await using var leaving = await TlsClient.ConnectAsync(endpoint, ct);
        await leaving.AssertEchoesAsync(seed: 2, ct);

        if (midRecord)
        {
            // An application-data record announcing 256 bytes, 10 of them sent, under the TLS layer's feet.
            byte[] partial = [0x17, 0x03, 0x03, 0x01, 0x00, .. LoopbackClient.RandomBytes(10, seed: 3)];
            await leaving.Socket.SendAsync(partial, SocketFlags.None, ct);
        }
        // FIN with no close_notify before it.
        leaving.Socket.Shutdown(SocketShutdown.Send);
        var buffer = new byte[4096];
        long before = 0;
        try
        {
            int read;
            while ((read = await leaving.Socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
                before += read; // at most the server's close_notify: records, never plaintext
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        Output?.WriteLine($"the server closed after {before} more bytes");
        Assert.InRange(before, 0, 1024);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));
        await bystander.AssertEchoesAsync(seed: 4, ct);
    }
}
