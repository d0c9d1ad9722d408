using System.Net.Sockets;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Server;

/// <summary>The <c>ActorEcho</c> meter, observed with a <see cref="MetricsCapture"/> while real clients connect,
/// echo, stall, fail and leave.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class MetricsSpec(ITestOutputHelper output) : ServerKit(output)
{
    /// <summary>SO_SNDBUF for the server's sockets in specs that need backpressure: with the kernel's auto-tuned
    /// buffers (up to 4 MiB on Linux) a client that stops reading takes megabytes before the server feels it.</summary>
    private const int SmallSocketBuffer = 32 * 1024;

    [Fact]
    public async Task Counters_follow_accepts_rejections_bytes_backpressure_and_closes()
    {
        using var metrics = new MetricsCapture();
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { MaxConnections = 3, IdleTimeout = null, SocketSendBufferSize = SmallSocketBuffer }));

        using var quick = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var resetter = await LoopbackClient.ConnectAsync(endpoint, ct);
        // A small receive buffer makes the server's echo back up as soon as this client stops reading.
        using var flooder = await LoopbackClient.ConnectAsync(endpoint, ct, receiveBufferSize: 8 * 1024);
        var small = LoopbackClient.RandomBytes(1000, seed: 1);
        Assert.Equal(small, await quick.EchoAsync(small, ct));
        Assert.Equal(small, await resetter.EchoAsync(small, ct));

        // The flooder sends 2 MiB before reading anything: the server must pause reading from it.
        var flood = LoopbackClient.RandomBytes(2 * 1024 * 1024, seed: 2);
        var floodSent = flooder.SendAsync(flood, ct);
        await metrics.WaitUntilAsync(m => m.ReadsSuspended >= 1, Patience, "the flooder's reads were suspended");
        Assert.Equal(flood, await flooder.ReceiveExactlyAsync(flood.Length, ct));
        await floodSent;

        // A fourth client is over max-connections: refused with an immediate FIN.
        using (var refused = await LoopbackClient.ConnectAsync(endpoint, ct))
            Assert.Equal((ConnectionEnd.Eof, 0L), await refused.ReadToEndAsync(ct));

        long total = small.Length * 2 + flood.Length;
        // Bytes are counted as sent when Akka.IO acknowledges them, which may trail the client's read a little.
        await metrics.WaitUntilAsync(m => m.BytesSent == total, Patience, "every echo byte counted as sent");
        Assert.Equal(total, metrics.BytesReceived);
        Assert.Equal(3, metrics.Accepted);
        Assert.Equal(3, metrics.ActiveConnections);
        await metrics.WaitUntilAsync(m => m.Rejected == 1, Patience, "one rejection");
        Assert.Equal(0, metrics.ClosedTotal);

        // Three ways out: FIN from the client, RST from the client, FIN after the client's FIN with nothing sent.
        quick.ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await quick.ReadToEndAsync(ct));
        resetter.Reset();
        flooder.ShutdownSend();
        Assert.Equal((ConnectionEnd.Eof, 0L), await flooder.ReadToEndAsync(ct));

        await metrics.WaitUntilAsync(m => m.ClosedTotal == 3 && m.ActiveConnections == 0, Patience, "all three closed");
        Assert.Equal(2, metrics.Closed(CloseReason.PeerClosed));
        Assert.Equal(1, metrics.Closed(CloseReason.Error));
        await AwaitStatsAsync(listener, stats => Assert.Equal(new EchoProtocol.ListenerStats(0, 3, 1, 3), stats));
    }

    [Fact]
    public async Task Idle_clients_and_clients_that_stop_reading_are_closed_and_counted_by_reason()
    {
        using var metrics = new MetricsCapture();
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var idleTimeout = TimeSpan.FromSeconds(1);
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = idleTimeout, SocketSendBufferSize = SmallSocketBuffer }));

        using var silent = await LoopbackClient.ConnectAsync(endpoint, ct);
        using var nonReader = await LoopbackClient.ConnectAsync(endpoint, ct, receiveBufferSize: 8 * 1024);
        var hello = "hello"u8.ToArray();
        Assert.Equal(hello, await silent.EchoAsync(hello, ct));

        // The non-reader sends 2 MiB and reads nothing; its send stalls once the server pauses, and it never ends
        // by itself. The server must notice that nothing was acknowledged for a whole idle timeout and abort.
        var stalledSend = nonReader.SendAsync(LoopbackClient.RandomBytes(2 * 1024 * 1024, seed: 3), ct);

        // The silent client sends nothing more: the idle timeout closes it with a FIN.
        Assert.Equal((ConnectionEnd.Eof, 0L), await silent.ReadToEndAsync(ct));
        await metrics.WaitUntilAsync(m => m.ClosedTotal == 2, Patience, "both connections closed");
        Assert.Equal(1, metrics.Closed(CloseReason.IdleTimeout));
        Assert.True(metrics.Closed(CloseReason.SlowReader) == 1, metrics.ToString());
        Assert.True(metrics.ReadsSuspended >= 1, metrics.ToString());
        // The abort reaches the client as a reset, after whatever echo its buffer already held.
        var (end, _) = await nonReader.ReadToEndAsync(ct);
        Assert.Equal(ConnectionEnd.Reset, end);
        try
        {
            await stalledSend; // may have fitted in the kernel's buffers, or failed with the reset
        }
        catch (SocketException)
        {
        }
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));
        Assert.Equal(0, metrics.ActiveConnections);
    }

    [Fact]
    public async Task A_client_that_resets_while_its_echo_is_queued_is_counted_as_an_error()
    {
        using var metrics = new MetricsCapture();
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = null, SocketSendBufferSize = SmallSocketBuffer }));

        // The client floods without reading, so echo writes queue up in the server, then resets: Akka.IO fails
        // the queued writes before it reports the reset, and the close must still be put down to the client.
        using var flooder = await LoopbackClient.ConnectAsync(endpoint, ct, receiveBufferSize: 8 * 1024);
        var flooding = flooder.SendAsync(LoopbackClient.RandomBytes(8 * 1024 * 1024, seed: 9), ct);
        await metrics.WaitUntilAsync(m => m.ReadsSuspended >= 1, Patience, "the flooder's reads were suspended");
        flooder.Reset();
        await Assert.ThrowsAnyAsync<Exception>(() => flooding);

        await metrics.WaitUntilAsync(m => m.ClosedTotal == 1, Patience, "the flooder's connection closed");
        Assert.True(metrics.Closed(CloseReason.Error) == 1, metrics.ToString());
        Assert.Equal(0, metrics.Closed(CloseReason.Aborted));
    }

    [Fact]
    public async Task Connections_closed_by_a_graceful_drain_are_counted_as_drained()
    {
        using var metrics = new MetricsCapture();
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = null }));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var data = LoopbackClient.RandomBytes(1000, seed: 4);
        Assert.Equal(data, await client.EchoAsync(data, ct));

        var drained = listener.Ask<Akka.Done>(EchoProtocol.DrainConnections.Instance, Patience);
        // The server half-closes after the last echo byte and waits for the client's FIN.
        Assert.Equal((ConnectionEnd.Eof, 0L), await client.ReadToEndAsync(ct));
        client.ShutdownSend();
        await drained;

        await metrics.WaitUntilAsync(m => m.ClosedTotal == 1, Patience, "the connection closed");
        Assert.Equal(1, metrics.Closed(CloseReason.Drained));
        Assert.Equal(0, metrics.ActiveConnections);
    }

    [Fact]
    public async Task A_connection_actor_that_throws_is_stopped_alone_and_its_client_disconnected()
    {
        using var metrics = new MetricsCapture();
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with { IdleTimeout = null }));

        // Connect and echo one at a time, so that client i is served by child connection-i.
        var clients = new List<LoopbackClient>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                var client = await LoopbackClient.ConnectAsync(endpoint, ct);
                clients.Add(client);
                var data = LoopbackClient.RandomBytes(100, seed: i);
                Assert.Equal(data, await client.EchoAsync(data, ct));
            }
            var victim = await WatchConnectionActorAsync(listener, 2);

            // An acknowledgement for a write it never made breaks the actor's accounting: its handler throws.
            victim.Tell(EchoProtocol.WriteAck.Instance, TestActor);

            await ExpectTerminatedAsync(victim, Patience);
            var (end, _) = await clients[1].ReadToEndAsync(ct);
            Assert.Equal(ConnectionEnd.Reset, end);
            await metrics.WaitUntilAsync(m => m.ActiveConnections == 2, Patience, "two connections left");
            Assert.Equal(1, metrics.Closed(CloseReason.Failed));
            Assert.Equal(1, metrics.ClosedTotal);
            await AwaitStatsAsync(listener, stats => Assert.Equal(2, stats.Active));

            // The neighbours never noticed.
            foreach (var survivor in new[] { clients[0], clients[2] })
            {
                var data = LoopbackClient.RandomBytes(64 * 1024, seed: 7);
                Assert.Equal(data, await survivor.EchoAsync(data, ct));
            }
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
        await metrics.WaitUntilAsync(m => m.ActiveConnections == 0, Patience, "no connection left");
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));
    }
}
