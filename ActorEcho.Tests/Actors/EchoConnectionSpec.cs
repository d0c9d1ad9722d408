using System.Net;
using ActorEcho.Actors;
using ActorEcho.Hosting;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The connection actor against a <see cref="TestProbe"/> standing in for Akka.IO's connection actor: every
/// command it sends is checked, and every event Akka.IO would send is injected by hand.
/// </summary>
public sealed class EchoConnectionSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    // Small watermarks so that a few short frames cross them; the sizes in the specs are chosen around them.
    private const int HighWatermark = 100;
    private const int LowWatermark = 40;

    /// <summary>Long enough for a wrongly sent command to arrive, short enough to keep the suite quick.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    private static readonly EchoSettings Settings = new()
    {
        BindAddress = "127.0.0.1:0",
        WriteHighWatermark = HighWatermark,
        WriteLowWatermark = LowWatermark,
        IdleTimeout = null,
    };

    private static readonly EndPoint Remote = new IPEndPoint(IPAddress.Loopback, 40000);

    [Fact]
    public async Task Registers_with_keep_open_on_peer_closed_and_requests_the_first_read()
    {
        var connection = CreateTestProbe();
        var handler = Sys.ActorOf(EchoConnection.Props(connection.Ref, Remote, Settings));

        var register = await connection.ExpectMsgAsync<Tcp.Register>();
        Assert.Equal(handler, register.Handler);
        Assert.True(register.KeepOpenOnPeerClosed);
        Assert.False(register.UseResumeWriting);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Echoes_each_received_frame_as_an_acked_write_of_the_same_bytes_and_asks_for_the_next_read()
    {
        var (connection, handler) = await StartAsync();

        foreach (var text in new[] { "hello", "world!", "x" })
        {
            handler.Tell(Received(text), connection.Ref);
            await ExpectEchoAsync(connection, text);
            await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        }
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Stops_reading_at_the_high_watermark_and_reads_again_only_once_acks_reach_the_low_one()
    {
        var (connection, handler) = await StartAsync();

        // 60 unacked bytes: still below the high watermark, so the next read is requested.
        handler.Tell(Received(60), connection.Ref);
        await ExpectEchoAsync(connection, 60);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        // 100 = the high watermark: reading pauses.
        handler.Tell(Received(40), connection.Ref);
        await ExpectEchoAsync(connection, 40);
        await connection.ExpectNoMsgAsync(Quiet);

        // Acks in write order. 100 - 60 = 40 is exactly the low watermark, which is enough to resume.
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        // One read was already requested: the second ack must not request another.
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Stays_paused_while_acks_leave_the_unacked_bytes_above_the_low_watermark()
    {
        var (connection, handler) = await StartAsync();

        handler.Tell(Received(30), connection.Ref);
        await ExpectEchoAsync(connection, 30);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(Received(30), connection.Ref);
        await ExpectEchoAsync(connection, 30);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(Received(50), connection.Ref); // 110 unacked: above the high watermark
        await ExpectEchoAsync(connection, 50);
        await connection.ExpectNoMsgAsync(Quiet);

        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref); // 80 left
        await connection.ExpectNoMsgAsync(Quiet);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref); // 50 left: below the high, above the low
        await connection.ExpectNoMsgAsync(Quiet);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref); // 0 left
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        // Back to normal: a small frame is echoed and the next read follows straight away.
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
    }

    [Fact]
    public async Task Peer_closed_with_writes_pending_closes_only_after_the_last_ack()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(Received(5), connection.Ref);
        await ExpectEchoAsync(connection, 5);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await connection.ExpectNoMsgAsync(Quiet);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectNoMsgAsync(Quiet);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();

        Watch(handler);
        handler.Tell(Tcp.Closed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
        // The connection reported itself closed, so stopping must not add an abort.
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Peer_closed_with_nothing_pending_closes_at_once()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();
        await connection.ExpectNoMsgAsync(Quiet);
    }

    public static TheoryData<string> ConnectionEndings => ["Closed", "Aborted", "ErrorClosed", "ConfirmedClosed"];

    [Theory]
    [MemberData(nameof(ConnectionEndings))]
    public async Task Stops_without_aborting_when_the_connection_reports_its_end(string ending)
    {
        Tcp.ConnectionClosed closed = ending switch
        {
            "Closed" => Tcp.Closed.Instance,
            "Aborted" => Tcp.Aborted.Instance,
            "ErrorClosed" => new Tcp.ErrorClosed("Connection reset by peer"),
            "ConfirmedClosed" => Tcp.ConfirmedClosed.Instance,
            _ => throw new ArgumentOutOfRangeException(nameof(ending), ending, null),
        };
        var (connection, handler) = await StartAsync();
        Watch(handler);

        handler.Tell(closed, connection.Ref);

        await ExpectTerminatedAsync(handler);
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Drain_sends_a_confirmed_close_once_every_write_is_acked_and_keeps_reading_to_see_the_peer_fin()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectNoMsgAsync(Quiet);

        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();

        // Data the client sends after the FIN cannot be echoed any more: it is read (so that the client's FIN
        // is seen) and dropped.
        handler.Tell(Received("late"), connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await connection.ExpectNoMsgAsync(Quiet);

        Watch(handler);
        handler.Tell(Tcp.ConfirmedClosed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Drain_resets_a_client_that_does_not_answer_the_fin_within_the_linger()
    {
        var linger = TimeSpan.FromMilliseconds(400);
        var (connection, handler) = await StartAsync(Settings with { DrainLinger = linger });
        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();

        // The client's FIN does not come: after the linger, and not before, the connection is reset.
        await connection.ExpectNoMsgAsync(linger / 2);
        await connection.FishForMessageAsync(message => message is Tcp.Abort, TimeSpan.FromSeconds(3));

        Watch(handler);
        handler.Tell(Tcp.Aborted.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Drain_with_nothing_pending_confirms_the_close_at_once()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Drain_while_paused_by_backpressure_confirms_the_close_after_the_last_ack()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(HighWatermark + 10), connection.Ref);
        await ExpectEchoAsync(connection, HighWatermark + 10);
        await connection.ExpectNoMsgAsync(Quiet);

        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectNoMsgAsync(Quiet);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);

        // No read was outstanding, so the close is followed by a read request that lets the client's FIN in.
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await connection.ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task Idle_timeout_with_nothing_pending_closes()
    {
        var (connection, _) = await StartAsync(Settings with { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        await connection.ExpectMsgAsync<Tcp.Close>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Idle_timeout_with_writes_pending_aborts()
    {
        var (connection, handler) = await StartAsync(Settings with { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        // The ack never comes: the client stopped reading its echo.
        await connection.ExpectMsgAsync<Tcp.Abort>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Traffic_keeps_the_idle_timeout_from_firing()
    {
        var idle = TimeSpan.FromMilliseconds(400);
        var (connection, handler) = await StartAsync(Settings with { IdleTimeout = idle });

        // Four exchanges spaced at half the idle timeout: two whole idle periods pass, but never one without
        // traffic. Each expectation doubles as the pacing, so no sleep is needed.
        for (var i = 0; i < 4; i++)
        {
            await connection.ExpectNoMsgAsync(idle / 2);
            handler.Tell(Received(3), connection.Ref);
            await ExpectEchoAsync(connection, 3);
            await connection.ExpectMsgAsync<Tcp.ResumeReading>();
            handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        }
        await connection.ExpectMsgAsync<Tcp.Close>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_failed_write_waits_for_the_connection_end_that_explains_it()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(10), connection.Ref);
        var write = await connection.ExpectMsgAsync<Tcp.Write>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        // Akka.IO fails the queued writes of a connection that is going away, then reports why.
        handler.Tell(new Tcp.CommandFailed(write), connection.Ref);
        await connection.ExpectNoMsgAsync(Quiet);

        Watch(handler);
        handler.Tell(new Tcp.ErrorClosed("Connection reset by peer"), connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Any_other_failed_command_aborts_the_connection()
    {
        var (connection, handler) = await StartAsync();

        handler.Tell(new Tcp.CommandFailed(Tcp.ResumeReading.Instance), connection.Ref);
        await connection.FishForMessageAsync(message => message is Tcp.Abort);

        Watch(handler);
        handler.Tell(Tcp.Aborted.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Being_stopped_while_the_connection_is_open_aborts_it()
    {
        var (connection, handler) = await StartAsync();
        Watch(handler);
        Sys.Stop(handler);
        await ExpectTerminatedAsync(handler);
        await connection.ExpectMsgAsync<Tcp.Abort>();
    }

    [Fact]
    public async Task Stops_when_the_connection_actor_dies()
    {
        var (connection, handler) = await StartAsync();
        Watch(handler);
        Sys.Stop(connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    private async Task<(TestProbe Connection, IActorRef Handler)> StartAsync(EchoSettings? settings = null)
    {
        var connection = CreateTestProbe();
        var handler = Sys.ActorOf(EchoConnection.Props(connection.Ref, Remote, settings ?? Settings));
        await connection.ExpectMsgAsync<Tcp.Register>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        return (connection, handler);
    }

    private static Tcp.Received Received(string text) => new(ByteString.FromString(text));

    private static Tcp.Received Received(int length) =>
        new(ByteString.FromBytes(Enumerable.Range(0, length).Select(i => (byte)i).ToArray()));

    private static async Task ExpectEchoAsync(TestProbe connection, string text) =>
        await ExpectEchoAsync(connection, ByteString.FromString(text));

    private static async Task ExpectEchoAsync(TestProbe connection, int length) =>
        await ExpectEchoAsync(connection, Received(length).Data);

    private static async Task ExpectEchoAsync(TestProbe connection, ByteString expected)
    {
        var write = await connection.ExpectMsgAsync<Tcp.Write>();
        Assert.Equal(expected.ToArray(), write.Data.ToArray());
        Assert.Same(EchoConnection.WriteAck.Instance, write.Ack);
    }
}
