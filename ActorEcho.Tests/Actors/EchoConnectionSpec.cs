using System.Net;
using ActorEcho.Actors;
using ActorEcho.Configuration;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The connection actor against a <see cref="TestProbe"/> standing in for Akka.IO's connection actor: every
/// command it sends is checked, and every event Akka.IO would send is injected by hand. Time is virtual
/// (<see cref="TestScheduler"/>): the idle timer and the drain linger fire when a spec advances the clock.
/// </summary>
public sealed class EchoConnectionSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", output)
{
    // Small watermarks so that a few short frames cross them; the sizes in the specs are chosen around them.
    private const int HighWatermark = 100;
    private const int LowWatermark = 40;

    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);
    /// <summary>The idle timer's period: a quarter of the idle timeout.</summary>
    private static readonly TimeSpan IdleTick = IdleTimeout / 4;

    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan DrainLinger = TimeSpan.FromSeconds(2);

    private static readonly EchoSettings Settings = new()
    {
        WriteHighWatermark = HighWatermark,
        WriteLowWatermark = LowWatermark,
        IdleTimeout = null,
        DrainQuiet = DrainQuiet,
        DrainLinger = DrainLinger,
    };

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private static readonly EndPoint Remote = new IPEndPoint(IPAddress.Loopback, 40000);

    [Fact]
    public async Task Registers_a_direct_client_without_keep_open_and_requests_the_first_read()
    {
        var connection = CreateTestProbe();
        var handler = Sys.ActorOf(EchoConnection.Props(connection.Ref, Remote, Settings, EchoBudget.Unlimited()));

        var register = await connection.ExpectMsgAsync<Tcp.Register>();
        Assert.Equal(handler, register.Handler);
        // Akka.IO finishes a direct client's half-close (EchoConnection's remarks).
        Assert.False(register.KeepOpenOnPeerClosed);
        Assert.False(register.UseResumeWriting);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task A_peer_close_ends_a_direct_clients_connection_without_a_command()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);

        // Akka.IO sent the queued echo, closed, and reports the client's FIN as the connection's end.
        Watch(handler);
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
        ExpectNothingAfterStop(connection);
    }

    [Fact]
    public async Task Registers_with_keep_open_where_the_half_close_is_finished_here()
    {
        var connection = CreateTestProbe();
        Sys.ActorOf(EchoConnection.PropsKeepingOpen(connection.Ref, Remote, Settings, EchoBudget.Unlimited()));

        var register = await connection.ExpectMsgAsync<Tcp.Register>();
        Assert.True(register.KeepOpenOnPeerClosed);
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
        await ExpectNothingMoreAsync(connection, handler);
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
        await ExpectNothingMoreAsync(connection, handler);

        // Acks in write order. 100 - 60 = 40 is exactly the low watermark, which is enough to resume.
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        // One read was already requested: the second ack must not request another.
        await ExpectNothingMoreAsync(connection, handler);
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
        await ExpectNothingMoreAsync(connection, handler);

        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref); // 80 left
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref); // 50 left: below the high, above the low
        await ExpectNothingMoreAsync(connection, handler);
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
        var (connection, handler) = await StartKeepingOpenAsync();
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(Received(5), connection.Ref);
        await ExpectEchoAsync(connection, 5);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();

        Watch(handler);
        handler.Tell(Tcp.Closed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
        // The connection reported itself closed, so stopping must not add an abort.
        ExpectNothingAfterStop(connection);
    }

    [Fact]
    public async Task Peer_closed_with_nothing_pending_closes_at_once()
    {
        var (connection, handler) = await StartKeepingOpenAsync();
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();
        await ExpectNothingMoreAsync(connection, handler);
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
        ExpectNothingAfterStop(connection);
    }

    [Fact]
    public async Task Drain_sends_a_confirmed_close_once_every_write_is_acked_and_keeps_reading_to_see_the_peer_fin()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        handler.Tell(EchoConnection.Drain.Instance);
        await ExpectNothingMoreAsync(connection, handler);

        // Everything is acknowledged, but data arrived just now: the connection is quiet only drain-quiet later.
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(DrainQuiet);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();

        // Data the client sends after the FIN cannot be echoed any more: it is read (so that the client's FIN
        // is seen) and dropped.
        handler.Tell(Received("late"), connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await ExpectNothingMoreAsync(connection, handler);

        Watch(handler);
        handler.Tell(Tcp.ConfirmedClosed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Drain_resets_a_client_that_does_not_answer_the_fin_within_the_linger()
    {
        var linger = TimeSpan.FromSeconds(2);
        var (connection, handler) = await StartAsync(Settings with { DrainLinger = linger });
        Scheduler.Advance(DrainQuiet);
        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        // The linger timer starts just after the close is sent: let the handler finish before time moves.
        await ExpectNothingMoreAsync(connection, handler);

        // The client's FIN does not come: after the linger, and not before, the connection is reset.
        Scheduler.Advance(linger - TimeSpan.FromMilliseconds(1));
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        await connection.ExpectMsgAsync<Tcp.Abort>();

        Watch(handler);
        handler.Tell(Tcp.Aborted.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task A_peer_close_during_a_drain_ends_with_a_plain_close_after_the_last_ack()
    {
        var (connection, handler) = await StartKeepingOpenAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.Drain.Instance);

        // The client closes first: no FIN of ours is left to linger on, so the close is a plain one.
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task A_drain_after_the_peer_closed_changes_nothing()
    {
        var (connection, handler) = await StartKeepingOpenAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);

        handler.Tell(EchoConnection.Drain.Instance);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task Drain_of_a_quiet_connection_confirms_the_close_at_once()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);

        // Echo complete and nothing arrived for drain-quiet: quiet.
        Scheduler.Advance(DrainQuiet);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task Drain_keeps_serving_a_connection_that_is_still_receiving_and_closes_it_once_quiet()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);

        handler.Tell(EchoConnection.Drain.Instance);
        await ExpectNothingMoreAsync(connection, handler);

        // Data keeps arriving, each time a little before drain-quiet runs out: echoed, read again, never closed.
        for (var i = 0; i < 5; i++)
        {
            Scheduler.Advance(DrainQuiet - Tick);
            await ExpectNothingMoreAsync(connection, handler);
            handler.Tell(Received(10), connection.Ref);
            await ExpectEchoAsync(connection, 10);
            await connection.ExpectMsgAsync<Tcp.ResumeReading>();
            handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
            await ExpectNothingMoreAsync(connection, handler);
        }

        // Then it stops: quiet drain-quiet after the last arrival, and not before.
        Scheduler.Advance(DrainQuiet - Tick);
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(Tick);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task Drain_waits_for_the_last_ack_even_after_drain_quiet_has_passed()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.Drain.Instance);

        // Nothing arrives, but the client has not taken its echo yet: not quiet.
        Scheduler.Advance(DrainQuiet * 3);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
    }

    [Fact]
    public async Task Drain_while_paused_by_backpressure_reads_again_as_usual_and_closes_once_quiet()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(HighWatermark + 10), connection.Ref);
        await ExpectEchoAsync(connection, HighWatermark + 10);
        await ExpectNothingMoreAsync(connection, handler);

        handler.Tell(EchoConnection.Drain.Instance);
        await ExpectNothingMoreAsync(connection, handler);
        // Long paused: that is not quiet, the client may have more waiting for the server to read.
        Scheduler.Advance(DrainQuiet * 3);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);

        // The ack resumes reading, and the quiet period starts then.
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(DrainQuiet - Tick);
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(Tick);
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task A_connection_drained_as_soon_as_it_starts_is_served_until_quiet()
    {
        // A client accepted during the drain: it has drain-quiet to start sending.
        var connection = CreateTestProbe();
        var handler = Sys.ActorOf(EchoConnection.Props(connection.Ref, Remote, Settings, EchoBudget.Unlimited()));
        handler.Tell(EchoConnection.Drain.Instance);
        await connection.ExpectMsgAsync<Tcp.Register>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await ExpectNothingMoreAsync(connection, handler);

        Scheduler.Advance(DrainQuiet / 2);
        handler.Tell(Received("request"), connection.Ref);
        await ExpectEchoAsync(connection, "request");
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        Watch(handler);
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
        ExpectNothingAfterStop(connection);
    }

    [Fact]
    public async Task Drain_timeout_stops_reading_echoes_what_was_received_then_closes_and_resets_after_the_linger()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(EchoConnection.Drain.Instance);
        handler.Tell(Received(30), connection.Ref);
        await ExpectEchoAsync(connection, 30);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        handler.Tell(EchoConnection.DrainTimeoutReached.Instance);
        await ExpectNothingMoreAsync(connection, handler);
        // The read asked for before the timeout still brings data: echoed, but no further read is asked for.
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await ExpectNothingMoreAsync(connection, handler);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);

        // Echo complete: FIN, and reading goes on only to see the client's FIN.
        await connection.ExpectMsgAsync<Tcp.ConfirmedClose>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        await ExpectNothingMoreAsync(connection, handler);

        // The linger runs from the timeout.
        Scheduler.Advance(DrainLinger - Tick);
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(Tick);
        await connection.ExpectMsgAsync<Tcp.Abort>();
        Watch(handler);
        handler.Tell(Tcp.Aborted.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Drain_timeout_resets_a_connection_whose_echo_is_not_taken_within_the_linger()
    {
        var (connection, handler) = await StartAsync();
        handler.Tell(Received(HighWatermark + 10), connection.Ref);
        await ExpectEchoAsync(connection, HighWatermark + 10);
        handler.Tell(EchoConnection.Drain.Instance);
        handler.Tell(EchoConnection.DrainTimeoutReached.Instance);
        await ExpectNothingMoreAsync(connection, handler);

        // The client never reads: no ack, no FIN possible; reset once the linger is over.
        Scheduler.Advance(DrainLinger - Tick);
        await ExpectNothingMoreAsync(connection, handler);
        Scheduler.Advance(Tick);
        await connection.ExpectMsgAsync<Tcp.Abort>();
    }

    [Fact]
    public async Task Drain_timeout_lets_a_half_closed_client_take_its_echo_within_the_linger()
    {
        var (connection, handler) = await StartKeepingOpenAsync();
        handler.Tell(Received(20), connection.Ref);
        await ExpectEchoAsync(connection, 20);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        handler.Tell(EchoConnection.Drain.Instance);
        handler.Tell(Tcp.PeerClosed.Instance, connection.Ref);
        handler.Tell(EchoConnection.DrainTimeoutReached.Instance);
        await ExpectNothingMoreAsync(connection, handler);

        Scheduler.Advance(DrainLinger - Tick);
        handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Close>();
        await ExpectNothingMoreAsync(connection, handler);
    }

    [Fact]
    public async Task Idle_timeout_with_nothing_pending_closes_after_one_idle_timeout_and_not_before()
    {
        var (connection, handler) = await StartAsync(Settings with { IdleTimeout = IdleTimeout });

        AdvanceIdleTicks(3);
        await ExpectNothingMoreAsync(connection, handler);
        AdvanceIdleTicks(1);
        await connection.ExpectMsgAsync<Tcp.Close>();
    }

    [Fact]
    public async Task Idle_timeout_with_writes_pending_aborts()
    {
        var (connection, handler) = await StartAsync(Settings with { IdleTimeout = IdleTimeout });
        handler.Tell(Received(10), connection.Ref);
        await ExpectEchoAsync(connection, 10);
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();

        // The ack never comes: the client stopped reading its echo. The read counts as traffic, so the idle
        // timeout runs from the first tick after it.
        AdvanceIdleTicks(4);
        await ExpectNothingMoreAsync(connection, handler);
        AdvanceIdleTicks(1);
        await connection.ExpectMsgAsync<Tcp.Abort>();
    }

    [Fact]
    public async Task Traffic_keeps_the_idle_timeout_from_firing_and_the_close_follows_within_a_quarter_more()
    {
        var (connection, handler) = await StartAsync(Settings with { IdleTimeout = IdleTimeout });

        // Four exchanges spaced at half the idle timeout: two whole idle periods pass, but never one without
        // traffic.
        for (var i = 0; i < 4; i++)
        {
            AdvanceIdleTicks(2);
            handler.Tell(Received(3), connection.Ref);
            await ExpectEchoAsync(connection, 3);
            await connection.ExpectMsgAsync<Tcp.ResumeReading>();
            handler.Tell(EchoConnection.WriteAck.Instance, connection.Ref);
            await ExpectNothingMoreAsync(connection, handler);
        }

        // The last traffic came just after a tick: the close comes one idle timeout plus one tick later.
        AdvanceIdleTicks(4);
        await ExpectNothingMoreAsync(connection, handler);
        AdvanceIdleTicks(1);
        await connection.ExpectMsgAsync<Tcp.Close>();
    }

    [Fact]
    public async Task A_close_not_confirmed_within_an_idle_timeout_is_aborted()
    {
        var (connection, handler) = await StartAsync(Settings with { IdleTimeout = IdleTimeout });
        AdvanceIdleTicks(4);
        await connection.ExpectMsgAsync<Tcp.Close>();

        // Akka.IO never reports the close: a whole idle period later the connection is aborted.
        AdvanceIdleTicks(4);
        await ExpectNothingMoreAsync(connection, handler);
        AdvanceIdleTicks(1);
        await connection.ExpectMsgAsync<Tcp.Abort>();

        // Nor the abort, which a live Akka.IO connection actor answers at once: it is gone, and so is this actor.
        Watch(handler);
        AdvanceIdleTicks(4);
        await ExpectNothingMoreAsync(connection, handler);
        AdvanceIdleTicks(1);
        await ExpectTerminatedAsync(handler);
        ExpectNothingAfterStop(connection);
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
        await ExpectNothingMoreAsync(connection, handler);

        Watch(handler);
        handler.Tell(new Tcp.ErrorClosed("Connection reset by peer"), connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Any_other_failed_command_aborts_the_connection()
    {
        var (connection, handler) = await StartAsync();

        handler.Tell(new Tcp.CommandFailed(Tcp.ResumeReading.Instance), connection.Ref);
        await connection.ExpectMsgAsync<Tcp.Abort>();

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
        var handler = Sys.ActorOf(EchoConnection.Props(connection.Ref, Remote, settings ?? Settings, EchoBudget.Unlimited()));
        await connection.ExpectMsgAsync<Tcp.Register>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        return (connection, handler);
    }

    /// <summary>A connection whose half-close this actor finishes, as for a PROXY client.</summary>
    private async Task<(TestProbe Connection, IActorRef Handler)> StartKeepingOpenAsync()
    {
        var connection = CreateTestProbe();
        var handler = Sys.ActorOf(EchoConnection.PropsKeepingOpen(connection.Ref, Remote, Settings, EchoBudget.Unlimited()));
        await connection.ExpectMsgAsync<Tcp.Register>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        return (connection, handler);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Advances virtual time one idle tick at a time: <see cref="TestScheduler"/> delivers a periodic
    /// timer at most once per <see cref="TestScheduler.Advance"/>.</summary>
    private void AdvanceIdleTicks(int ticks)
    {
        for (var i = 0; i < ticks; i++)
            Scheduler.Advance(IdleTick);
    }

    /// <summary>Asserts that the handler has sent the connection nothing more, without waiting for time to pass:
    /// an <see cref="Identify"/> is handled after every message sent to the handler before it, and its answer
    /// reaches the probe after everything the handler sent before answering.</summary>
    private static async Task ExpectNothingMoreAsync(TestProbe connection, IActorRef handler)
    {
        handler.Tell(new Identify("nothing more"), connection.Ref);
        var identity = await connection.ExpectMsgAsync<ActorIdentity>();
        Assert.Equal("nothing more", identity.MessageId);
        Assert.Equal(handler, identity.Subject); // alive: a stopped actor's Identify is answered with no subject
    }

    /// <summary>Asserts that a stopped handler sent nothing more. The probe runs on the calling thread, so what
    /// the handler sent before its Terminated (PostStop's abort, say) is in the probe's queue already.</summary>
    private static void ExpectNothingAfterStop(TestProbe connection) => Assert.False(connection.HasMessages);

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
