using System.Net.Sockets;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>
/// The listener's graceful shutdown over real sockets: every connection is served until it is quiet
/// (<c>drain-quiet</c>) or its client closes, clients arriving meanwhile are served too, the ones still receiving
/// at <c>drain-timeout</c> get what was received then FIN, and the listening socket is released last. Closes are
/// observed on the process-wide metrics: hence the isolated collection.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DrainSpec(ITestOutputHelper output) : ServerKit(output)
{
    [Fact]
    public async Task Drain_lets_a_held_up_transfer_finish_fins_quiet_clients_serves_a_late_client_and_then_reports_done()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var metrics = new MetricsCapture();
        // A quiet period with a margin: a stall of this test process on a loaded machine must not pass for a
        // client that went quiet.
        var (listener, endpoint) = await StartListenerAsync(BackpressureSettings() with { DrainQuiet = TimeSpan.FromSeconds(2) });

        // Two quiet clients whose echo is complete, and one whose echo is held up when the drain starts: it
        // sends without reading until backpressure stops it, so the server is paused with writes unacked.
        using var quiet1 = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var quiet2 = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var streaming = await LoopbackClient.ConnectAsync(endpoint, ct, FixedSocketBuffer, FixedSocketBuffer);
        await AssertEchoAsync(quiet1, seed: 1, ct);
        await AssertEchoAsync(quiet2, seed: 2, ct);
        await AssertEchoAsync(streaming, seed: 3, ct);
        var stream = LoopbackClient.RandomBytes(4 * 1024 * 1024, seed: 4);
        var streamSending = streaming.SendAsync(stream, ct);
        await metrics.WaitUntilAsync(m => m.ReadsSuspended >= 1, Patience, "the server paused reading");
        Assert.False(streamSending.IsCompleted, "the streaming client was never held up");

        Assert.Equal(Done.Instance, await listener.Ask<Done>(EchoProtocol.StopAccepting.Instance, Patience));
        var drained = listener.Ask<Done>(EchoProtocol.DrainConnections.Instance, TimeSpan.FromSeconds(10));

        // The quiet clients see a FIN (no reset) at once: they had all their echo already.
        Assert.Empty(await quiet1.ReceiveToEndAsync(ct));
        Assert.Empty(await quiet2.ReceiveToEndAsync(ct));

        // A client arriving while the listening socket is still open is served, not turned away.
        using (var late = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            var data = LoopbackClient.RandomBytes(256 * 1024, seed: 5);
            Assert.Equal(data, await late.EchoWithHalfCloseAsync(data, ct));
        }

        // The held-up client reads again: it gets its whole transfer back, in order, then the FIN once it has
        // gone quiet (it never half-closes).
        var streamed = await streaming.ReceiveToEndAsync(ct);
        await streamSending;
        Output?.WriteLine($"{streamed.Length} of {stream.Length} streamed bytes were echoed before the FIN");
        Assert.True(stream.AsSpan().SequenceEqual(streamed),
            $"the {streamed.Length} bytes echoed during the drain are not the {stream.Length} sent");

        // The server half-closed; the clients' own close completes the drain.
        quiet1.Socket.Close();
        quiet2.Socket.Close();
        streaming.Socket.Close();
        Assert.Equal(Done.Instance, await drained);
        var stats = await StatsAsync(listener);
        Assert.Equal(0, stats.Active);
        Assert.Equal(4, stats.Accepted);
        Assert.Equal(0, stats.Rejected);
        await metrics.WaitUntilAsync(m => m.ClosedTotal == 4, Patience, "four closes");
        Assert.Equal(3, metrics.Closed(CloseReason.Drained));
        Assert.Equal(1, metrics.Closed(CloseReason.PeerClosed));

        // Done means the listening socket is released too: the port is free for a new server.
        using var successor = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        successor.Bind(endpoint);
    }

    [Fact]
    public async Task A_client_still_sending_at_the_drain_timeout_gets_its_echo_of_what_was_received_then_fin()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        using var metrics = new MetricsCapture();
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with
        {
            IdleTimeout = null,
            DrainTimeout = TimeSpan.FromSeconds(1),
            // Longer than the drain timeout: however this process stalls, the client reaches the timeout.
            DrainQuiet = TimeSpan.FromSeconds(5),
            // Longer than this client can take to read its last few MiB on a loaded machine. With the default 2 s
            // the server rightly resets a client that reads that slowly, and the reset looks like a FIN here: the
            // sending task is the one that gets ECONNRESET, and Linux then reports end of stream to the reader.
            DrainLinger = TimeSpan.FromSeconds(20),
        }));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        await AssertEchoAsync(client, seed: 10, ct);

        // The client sends without end (and reads its echo), so it is never quiet.
        var sent = new System.Runtime.CompilerServices.StrongBox<long>();
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pattern = LoopbackClient.RandomBytes(1024 * 1024, seed: 11);
        var sending = Task.Run(async () =>
        {
            try
            {
                while (true)
                    await client.SendAsync(pattern, stopSending.Token, sent);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // Stopped, or the server no longer reads (reset after its FIN): sending ends either way.
            }
        }, CancellationToken.None);
        var reading = ReadPatternToEndAsync(client, pattern, ct);
        await metrics.WaitUntilAsync(m => m.BytesSent > 2 * pattern.Length, Patience, "the stream under way");

        await listener.Ask<Done>(EchoProtocol.StopAccepting.Instance, Patience);
        var drained = listener.Ask<Done>(EchoProtocol.DrainConnections.Instance, TimeSpan.FromSeconds(15));

        // The echo is what was sent, in order, up to a FIN (a reset looks the same to this reader once the sending
        // task has had its ECONNRESET; the count against the metric below tells them apart).
        var echoed = await reading;
        await stopSending.CancelAsync();
        await sending;
        Output?.WriteLine($"{echoed} bytes echoed of {sent.Value} sent");
        Assert.True(echoed > 2 * pattern.Length);
        client.Socket.Close();

        Assert.Equal(Done.Instance, await drained);
        await metrics.WaitUntilAsync(m => m.Closed(CloseReason.DrainTimeout) == 1, Patience, "one drain-timeout close");
        // Every echo byte the server handed over reached the client before the FIN (the first round trip's
        // 1000 bytes were read separately).
        Assert.Equal(metrics.BytesSent, echoed + 1000L);
    }

    /// <summary>Reads to the end of stream, checking each byte against <paramref name="pattern"/> repeated, and
    /// returns the count: hundreds of MiB go by, too many to keep.</summary>
    private static async Task<long> ReadPatternToEndAsync(LoopbackClient client, byte[] pattern, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            var read = await client.Socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
                return total;
            for (var checkedUpTo = 0; checkedUpTo < read;)
            {
                var at = (int)((total + checkedUpTo) % pattern.Length);
                var length = Math.Min(read - checkedUpTo, pattern.Length - at);
                Assert.True(pattern.AsSpan(at, length).SequenceEqual(buffer.AsSpan(checkedUpTo, length)),
                    $"the echo differs at byte {total + checkedUpTo}");
                checkedUpTo += length;
            }
            total += read;
        }
    }

    [Fact]
    public async Task A_client_arriving_during_the_drain_counts_against_max_connections()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(BackpressureSettings() with { MaxConnections = 1 });

        // The one slot is held by a client whose echo is held up: not quiet while it does not read.
        using var held = await LoopbackClient.ConnectAsync(endpoint, ct, FixedSocketBuffer, FixedSocketBuffer);
        await AssertEchoAsync(held, seed: 20, ct);
        var data = LoopbackClient.RandomBytes(1024 * 1024, seed: 21);
        var sending = held.SendAsync(data, ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(1, stats.Active));

        await listener.Ask<Done>(EchoProtocol.StopAccepting.Instance, Patience);
        var drained = listener.Ask<Done>(EchoProtocol.DrainConnections.Instance, TimeSpan.FromSeconds(10));

        using (var over = await LoopbackClient.ConnectAsync(endpoint, ct))
            Assert.Equal((ConnectionEnd.Eof, 0L), await over.ReadToEndAsync(ct));
        Assert.Equal(1, (await StatsAsync(listener)).Rejected);

        // The held client still gets everything back.
        var echoed = await held.ReceiveToEndAsync(ct);
        await sending;
        Assert.True(data.AsSpan().SequenceEqual(echoed), $"{echoed.Length} of {data.Length} bytes came back");
        held.Socket.Close();
        Assert.Equal(Done.Instance, await drained);
    }
}
