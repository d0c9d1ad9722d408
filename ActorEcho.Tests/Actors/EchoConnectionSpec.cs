using System.Net;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Actors.Wires;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The connection actor, whatever its transport, against a <see cref="TestProbe"/> standing in for Akka.IO's
/// connection actor (<see cref="ConnectionWire"/>): every command it sends is checked, and every event Akka.IO would
/// send is injected by hand. Time is virtual (<see cref="TestScheduler"/>): the idle timer, the drain's quiet period
/// and its linger fire when a spec advances the clock. Every spec here runs for plain TCP
/// (<see cref="PlainEchoConnectionSpec"/>) and for TLS (<see cref="TlsEchoConnectionSpec"/>).
/// </summary>
public abstract class EchoConnectionSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", output)
{
    // Small watermarks so that a few short frames cross them; the sizes in the specs are chosen around them.
    protected const int HighWatermark = 100;
    private const int LowWatermark = 40;

    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);
    /// <summary>The idle timer's period: a quarter of the idle timeout.</summary>
    private static readonly TimeSpan IdleTick = IdleTimeout / 4;

    protected static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan DrainLinger = TimeSpan.FromSeconds(2);

    protected static readonly EchoSettings Settings = new()
    {
        WriteHighWatermark = HighWatermark,
        WriteLowWatermark = LowWatermark,
        IdleTimeout = null,
        DrainQuiet = DrainQuiet,
        DrainLinger = DrainLinger,
    };

    protected static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    /// <summary>The transport under test, on this spec's probe.</summary>
    protected abstract ConnectionWire NewWire();

    [Fact]
    public async Task Echoes_each_received_frame_as_an_acked_write_of_the_same_bytes_and_asks_for_the_next_read()
    {
        var wire = await StartAsync();

        foreach (var text in new[] { "hello", "world!", "x" })
        {
            await wire.EchoRoundTripAsync(Bytes(text));
        }
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Stops_reading_at_the_high_watermark_and_reads_again_only_once_acks_reach_the_low_one()
    {
        var wire = await StartAsync();

        // 60 unacked bytes: still below the high watermark, so the next read is requested.
        await wire.EchoRoundTripAsync(Bytes(60));

        // 100 = the high watermark: reading pauses.
        await wire.SendAsync(Bytes(40));
        await wire.ExpectEchoAsync(Bytes(40));
        await wire.ExpectNothingMoreAsync();

        // Acks in write order. 100 - 60 = 40 is exactly the low watermark, which is enough to resume.
        wire.AckOldest();
        await wire.ExpectReadAsync();
        wire.AckOldest();
        // One read was already requested: the second ack must not request another.
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Stays_paused_while_acks_leave_the_unacked_bytes_above_the_low_watermark()
    {
        var wire = await StartAsync();

        await wire.EchoRoundTripAsync(Bytes(30));
        await wire.EchoRoundTripAsync(Bytes(30));
        await wire.SendAsync(Bytes(50)); // 110 unacked: above the high watermark
        await wire.ExpectEchoAsync(Bytes(50));
        await wire.ExpectNothingMoreAsync();

        wire.AckOldest(); // 80 left
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest(); // 50 left: below the high, above the low
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest(); // 0 left
        await wire.ExpectReadAsync();

        // Back to normal: a small frame is echoed and the next read follows straight away.
        await wire.EchoRoundTripAsync(Bytes(10));
    }

    [Fact]
    public async Task Peer_closed_with_writes_pending_closes_only_after_the_last_ack()
    {
        var wire = await StartKeepingOpenAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(10));
        await wire.EchoRoundTripAsync(Bytes(5));

        wire.PeerClosed();
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.Close>();

        Watch(handler);
        wire.Tell(Tcp.Closed.Instance);
        await ExpectTerminatedAsync(handler);
        // The connection reported itself closed, so stopping must not add an abort.
        wire.ExpectNothingAfterStop();
    }

    [Fact]
    public async Task Peer_closed_with_nothing_pending_closes_at_once()
    {
        var wire = await StartKeepingOpenAsync();
        wire.PeerClosed();
        await wire.ExpectCloseAsync<Tcp.Close>();
        await wire.ExpectNothingMoreAsync();
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
        var wire = await StartAsync();
        var handler = wire.Handler;
        Watch(handler);

        wire.Tell(closed);

        await ExpectTerminatedAsync(handler);
        wire.ExpectNothingAfterStop();
    }

    [Fact]
    public async Task Drain_sends_a_confirmed_close_once_every_write_is_acked_and_keeps_reading_to_see_the_peer_fin()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));

        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.ExpectNothingMoreAsync();

        // Everything is acknowledged, but data arrived just now: the connection is quiet only drain-quiet later.
        wire.AckOldest();
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(DrainQuiet);
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();

        // Data the client sends after the FIN cannot be echoed any more: it is read (so that the client's FIN
        // is seen) and dropped.
        await wire.SendAsync(Bytes("late"));
        await wire.ExpectReadAsync();
        await wire.ExpectNothingMoreAsync();

        Watch(handler);
        wire.Tell(Tcp.ConfirmedClosed.Instance);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Drain_resets_a_client_that_does_not_answer_the_fin_within_the_linger()
    {
        var linger = TimeSpan.FromSeconds(2);
        var wire = await StartAsync(Settings with { DrainLinger = linger });
        var handler = wire.Handler;
        Scheduler.Advance(DrainQuiet);
        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        // The linger timer starts just after the close is sent: let the handler finish before time moves.
        await wire.ExpectNothingMoreAsync();

        // The client's FIN does not come: after the linger, and not before, the connection is reset.
        Scheduler.Advance(linger - TimeSpan.FromMilliseconds(1));
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        await wire.ExpectCloseAsync<Tcp.Abort>();

        Watch(handler);
        wire.Tell(Tcp.Aborted.Instance);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task A_peer_close_during_a_drain_ends_with_a_plain_close_after_the_last_ack()
    {
        var wire = await StartKeepingOpenAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));
        handler.Tell(EchoProtocol.Drain.Instance);

        // The client closes first: no FIN of ours is left to linger on, so the close is a plain one.
        wire.PeerClosed();
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.Close>();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task A_drain_after_the_peer_closed_changes_nothing()
    {
        var wire = await StartKeepingOpenAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));
        wire.PeerClosed();

        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.Close>();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Drain_of_a_quiet_connection_confirms_the_close_at_once()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));
        wire.AckOldest();

        // Echo complete and nothing arrived for drain-quiet: quiet.
        Scheduler.Advance(DrainQuiet);
        await wire.ExpectNothingMoreAsync();
        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Drain_keeps_serving_a_connection_that_is_still_receiving_and_closes_it_once_quiet()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(10));
        wire.AckOldest();

        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.ExpectNothingMoreAsync();

        // Data keeps arriving, each time a little before drain-quiet runs out: echoed, read again, never closed.
        for (var i = 0; i < 5; i++)
        {
            Scheduler.Advance(DrainQuiet - Tick);
            await wire.ExpectNothingMoreAsync();
            await wire.EchoRoundTripAsync(Bytes(10));
            wire.AckOldest();
            await wire.ExpectNothingMoreAsync();
        }

        // Then it stops: quiet drain-quiet after the last arrival, and not before.
        Scheduler.Advance(DrainQuiet - Tick);
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(Tick);
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Drain_waits_for_the_last_ack_even_after_drain_quiet_has_passed()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));
        handler.Tell(EchoProtocol.Drain.Instance);

        // Nothing arrives, but the client has not taken its echo yet: not quiet.
        Scheduler.Advance(DrainQuiet * 3);
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
    }

    [Fact]
    public async Task Drain_while_paused_by_backpressure_reads_again_as_usual_and_closes_once_quiet()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.SendAsync(Bytes(HighWatermark + 10));
        await wire.ExpectEchoAsync(Bytes(HighWatermark + 10));
        await wire.ExpectNothingMoreAsync();

        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.ExpectNothingMoreAsync();
        // Long paused: that is not quiet, the client may have more waiting for the server to read.
        Scheduler.Advance(DrainQuiet * 3);
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();

        // The ack resumes reading, and the quiet period starts then.
        await wire.ExpectReadAsync();
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(DrainQuiet - Tick);
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(Tick);
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task A_connection_drained_as_soon_as_it_starts_is_served_until_quiet()
    {
        // A client accepted during the drain: it has drain-quiet to start sending.
        var wire = NewWire();
        await wire.StartAsync(Settings, keepOpen: true, beforeStart: handler => handler.Tell(EchoProtocol.Drain.Instance));
        await wire.ExpectNothingMoreAsync();

        Scheduler.Advance(DrainQuiet / 2);
        await wire.EchoRoundTripAsync(Bytes("request"));
        wire.AckOldest();
        wire.PeerClosed();
        await wire.ExpectCloseAsync<Tcp.Close>();
        Watch(wire.Handler);
        wire.Tell(Tcp.Closed.Instance);
        await ExpectTerminatedAsync(wire.Handler);
        wire.ExpectNothingAfterStop();
    }

    [Fact]
    public async Task Drain_timeout_stops_reading_echoes_what_was_received_then_closes_and_resets_after_the_linger()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        handler.Tell(EchoProtocol.Drain.Instance);
        await wire.EchoRoundTripAsync(Bytes(30));

        handler.Tell(EchoProtocol.DrainTimeoutReached.Instance);
        await wire.ExpectNothingMoreAsync();
        // The read asked for before the timeout still brings data: echoed, but no further read is asked for.
        await wire.SendAsync(Bytes(20));
        await wire.ExpectEchoAsync(Bytes(20));
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();

        // Echo complete: FIN, and reading goes on only to see the client's FIN.
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        await wire.ExpectReadAsync();
        await wire.ExpectNothingMoreAsync();

        // The linger runs from the timeout.
        Scheduler.Advance(DrainLinger - Tick);
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(Tick);
        await wire.ExpectCloseAsync<Tcp.Abort>();
        Watch(handler);
        wire.Tell(Tcp.Aborted.Instance);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Drain_timeout_resets_a_connection_whose_echo_is_not_taken_within_the_linger()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.SendAsync(Bytes(HighWatermark + 10));
        await wire.ExpectEchoAsync(Bytes(HighWatermark + 10));
        handler.Tell(EchoProtocol.Drain.Instance);
        handler.Tell(EchoProtocol.DrainTimeoutReached.Instance);
        await wire.ExpectNothingMoreAsync();

        // The client never reads: no ack, no FIN possible; reset once the linger is over.
        Scheduler.Advance(DrainLinger - Tick);
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(Tick);
        await wire.ExpectCloseAsync<Tcp.Abort>();
    }

    [Fact]
    public async Task Drain_timeout_lets_a_half_closed_client_take_its_echo_within_the_linger()
    {
        var wire = await StartKeepingOpenAsync();
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));
        handler.Tell(EchoProtocol.Drain.Instance);
        wire.PeerClosed();
        handler.Tell(EchoProtocol.DrainTimeoutReached.Instance);
        await wire.ExpectNothingMoreAsync();

        Scheduler.Advance(DrainLinger - Tick);
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.Close>();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Idle_timeout_with_nothing_pending_closes_after_one_idle_timeout_and_not_before()
    {
        var wire = await StartAsync(Settings with { IdleTimeout = IdleTimeout });

        AdvanceIdleTicks(3);
        await wire.ExpectNothingMoreAsync();
        AdvanceIdleTicks(1);
        await wire.ExpectCloseAsync<Tcp.Close>();
    }

    [Fact]
    public async Task Idle_timeout_with_writes_pending_aborts()
    {
        var wire = await StartAsync(Settings with { IdleTimeout = IdleTimeout });
        await wire.EchoRoundTripAsync(Bytes(10));

        // The ack never comes: the client stopped reading its echo. The read counts as traffic, so the idle
        // timeout runs from the first tick after it.
        AdvanceIdleTicks(4);
        await wire.ExpectNothingMoreAsync();
        AdvanceIdleTicks(1);
        await wire.ExpectCloseAsync<Tcp.Abort>();
    }

    [Fact]
    public async Task Traffic_keeps_the_idle_timeout_from_firing_and_the_close_follows_within_a_quarter_more()
    {
        var wire = await StartAsync(Settings with { IdleTimeout = IdleTimeout });

        // Four exchanges spaced at half the idle timeout: two whole idle periods pass, but never one without
        // traffic.
        for (var i = 0; i < 4; i++)
        {
            AdvanceIdleTicks(2);
            await wire.EchoRoundTripAsync(Bytes(3));
            wire.AckOldest();
            await wire.ExpectNothingMoreAsync();
        }

        // The last traffic came just after a tick: the close comes one idle timeout plus one tick later.
        AdvanceIdleTicks(4);
        await wire.ExpectNothingMoreAsync();
        AdvanceIdleTicks(1);
        await wire.ExpectCloseAsync<Tcp.Close>();
    }

    [Fact]
    public async Task A_close_not_confirmed_within_an_idle_timeout_is_aborted()
    {
        var wire = await StartAsync(Settings with { IdleTimeout = IdleTimeout });
        var handler = wire.Handler;
        AdvanceIdleTicks(4);
        await wire.ExpectCloseAsync<Tcp.Close>();

        // Akka.IO never reports the close: a whole idle period later the connection is aborted.
        AdvanceIdleTicks(4);
        await wire.ExpectNothingMoreAsync();
        AdvanceIdleTicks(1);
        await wire.ExpectCloseAsync<Tcp.Abort>();

        // Nor the abort, which a live Akka.IO connection actor answers at once: it is gone, and so is this actor.
        Watch(handler);
        AdvanceIdleTicks(4);
        await wire.ExpectNothingMoreAsync();
        AdvanceIdleTicks(1);
        await ExpectTerminatedAsync(handler);
        wire.ExpectNothingAfterStop();
    }

    [Fact]
    public async Task A_reload_switches_the_idle_timeout_on_for_an_open_connection()
    {
        var wire = await StartAsync(); // no idle timeout
        wire.Tell(new EchoProtocol.SettingsChanged(Settings with { IdleTimeout = IdleTimeout }));
        // The echo comes after the reload in the mailbox: once it is seen, the idle clock runs. The ack is the last traffic.
        await wire.EchoRoundTripAsync(Bytes(10));
        wire.AckOldest();

        AdvanceIdleTicks(4);
        await wire.ExpectNothingMoreAsync();
        AdvanceIdleTicks(1);
        await wire.ExpectCloseAsync<Tcp.Close>();
    }

    [Fact]
    public async Task A_reload_switches_the_idle_timeout_off_for_an_open_connection()
    {
        var wire = await StartAsync(Settings with { IdleTimeout = IdleTimeout });
        wire.Tell(new EchoProtocol.SettingsChanged(Settings with { IdleTimeout = null }));
        await wire.EchoRoundTripAsync(Bytes(10));
        wire.AckOldest();

        // Twice the old timeout, and nothing: with the old one still running it would have closed after 5 ticks.
        AdvanceIdleTicks(8);
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task A_reload_adopts_new_watermarks_for_the_next_read()
    {
        var wire = await StartAsync();
        wire.Tell(new EchoProtocol.SettingsChanged(Settings with { WriteHighWatermark = 20, WriteLowWatermark = 10 }));

        // 30 unacked bytes: under the old high watermark (100) a read would follow, over the new one (20) none does.
        await wire.SendAsync(Bytes(30));
        await wire.ExpectEchoAsync(Bytes(30));
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectReadAsync();
    }

    [Fact]
    public async Task A_failed_write_waits_for_the_connection_end_that_explains_it()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        await wire.SendAsync(Bytes(10));
        var write = await wire.ExpectEchoAsync(Bytes(10));
        await wire.ExpectReadAsync();

        // Akka.IO fails the queued writes of a connection that is going away, then reports why.
        wire.Tell(new Tcp.CommandFailed(write));
        await wire.ExpectNothingMoreAsync();

        Watch(handler);
        wire.Tell(new Tcp.ErrorClosed("Connection reset by peer"));
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Any_other_failed_command_aborts_the_connection()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;

        wire.Tell(new Tcp.CommandFailed(Tcp.ResumeReading.Instance));
        await wire.ExpectCloseAsync<Tcp.Abort>();

        Watch(handler);
        wire.Tell(Tcp.Aborted.Instance);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Being_stopped_while_the_connection_is_open_aborts_it()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        Watch(handler);
        Sys.Stop(handler);
        await ExpectTerminatedAsync(handler);
        await wire.ExpectCloseAsync<Tcp.Abort>();
    }

    [Fact]
    public async Task Stops_when_the_connection_actor_dies()
    {
        var wire = await StartAsync();
        var handler = wire.Handler;
        Watch(handler);
        Sys.Stop(wire.Connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Max_connection_duration_stops_reading_echoes_what_was_read_then_closes_with_fin()
    {
        var lifetime = TimeSpan.FromSeconds(10);
        var wire = await StartAsync(Settings with { MaxConnectionDuration = lifetime });
        var handler = wire.Handler;
        await wire.EchoRoundTripAsync(Bytes(20));

        Scheduler.Advance(lifetime - Tick);
        await wire.ExpectNothingMoreAsync();
        Scheduler.Advance(Tick);
        await wire.ExpectNothingMoreAsync();
        // The read asked for before the limit still brings data: echoed, and no further read is asked for.
        await wire.SendAsync(Bytes(30));
        await wire.ExpectEchoAsync(Bytes(30));
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();

        // Echo complete: FIN, and reading goes on only to see the client's FIN.
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        await wire.ExpectReadAsync();
        Watch(handler);
        wire.Tell(Tcp.ConfirmedClosed.Instance);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task Max_bytes_per_connection_echoes_exactly_up_to_the_cap_then_closes_with_fin()
    {
        var wire = await StartAsync(Settings with { MaxBytesPerConnection = 50 });
        await wire.EchoRoundTripAsync(Bytes(30));

        // A read that crosses the cap: its first 20 bytes are echoed, the rest dropped, and nothing more is read.
        await wire.SendAsync(Bytes(40));
        await wire.ExpectEchoAsync(Bytes(40)[..20]);
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
        await wire.ExpectReadAsync();
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Max_bytes_per_connection_reached_exactly_closes_without_asking_for_more()
    {
        var wire = await StartAsync(Settings with { MaxBytesPerConnection = 30 });
        await wire.SendAsync(Bytes(30));
        await wire.ExpectEchoAsync(Bytes(30));
        await wire.ExpectNothingMoreAsync();
        wire.AckOldest();
        await wire.ExpectCloseAsync<Tcp.ConfirmedClose>();
    }

    private async Task<ConnectionWire> StartAsync(EchoSettings? settings = null)
    {
        var wire = NewWire();
        await wire.StartAsync(settings ?? Settings);
        return wire;
    }

    /// <summary>A connection whose half-close the actor finishes: a PROXY client's on plain TCP, every one on TLS.</summary>
    private async Task<ConnectionWire> StartKeepingOpenAsync()
    {
        var wire = NewWire();
        await wire.StartAsync(Settings, keepOpen: true);
        return wire;
    }

    protected TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Advances virtual time one idle tick at a time: <see cref="TestScheduler"/> delivers a periodic
    /// timer at most once per <see cref="TestScheduler.Advance"/>.</summary>
    private void AdvanceIdleTicks(int ticks)
    {
        for (var i = 0; i < ticks; i++)
            Scheduler.Advance(IdleTick);
    }

    protected static byte[] Bytes(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    protected static byte[] Bytes(int length) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
}
