using System.Net;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The listener's drain, step by step, in virtual time (<see cref="TestScheduler"/>): probes stand in for Akka.IO's
/// TCP manager, its listener actor and the connections, so every timer fires when the spec advances the clock.
/// (The same drain over real sockets and processes: <c>Server/DrainSpec</c>, <c>Process/DrainEndToEndSpec</c>.)
/// </summary>
public sealed class EchoListenerDrainSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", output)
{
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 2000);

    /// <summary>Connections never go quiet before the drain times out, so the spec drives the timeout path.</summary>
    private static readonly EchoSettings Settings = new()
    {
        IdleTimeout = null,
        DrainTimeout = TimeSpan.FromSeconds(10),
        DrainQuiet = TimeSpan.FromHours(1),
        DrainLinger = TimeSpan.FromSeconds(2),
    };

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    [Fact]
    public async Task A_connection_that_never_finishes_is_told_the_timeout_reset_after_the_linger_and_stopped_then_the_socket_is_released()
    {
        var (listener, akkaListener) = await BindAsync();
        var connection = Connect(listener, 40001);

        listener.Tell(EchoProtocol.StopAccepting.Instance);
        ExpectMsg<Akka.Done>();
        // Shutdown has begun, the drain has not: a client arriving now is served as usual.
        var lateComer = Connect(listener, 40002);
        listener.Tell(EchoProtocol.DrainConnections.Instance);
        // Messages are handled in order: once this is answered, the drain has started and its timer runs.
        Assert.Equal(2, (await StatsAsync(listener)).Active);

        // At drain-timeout each connection stops reading and half-closes once its echo is done (nothing pending here).
        Scheduler.Advance(Settings.DrainTimeout);
        connection.FishForMessage(message => message is Tcp.ConfirmedClose);
        lateComer.FishForMessage(message => message is Tcp.ConfirmedClose);

        // From now on a new client is closed at once.
        var refused = CreateTestProbe();
        refused.Send(listener, new Tcp.Connected(new IPEndPoint(IPAddress.Loopback, 40003), Local));
        refused.ExpectMsg<Tcp.Register>();
        refused.ExpectMsg<Tcp.Close>();

        // The clients never answer the FIN: each connection resets itself after drain-linger...
        Scheduler.Advance(Settings.DrainLinger);
        connection.FishForMessage(message => message is Tcp.Abort);
        lateComer.FishForMessage(message => message is Tcp.Abort);
        akkaListener.ExpectNoMsg(TimeSpan.Zero);

        // ...and, still unconfirmed a second later, is stopped by the listener; then the socket is released.
        Scheduler.Advance(TimeSpan.FromSeconds(1));
        akkaListener.ExpectMsg<Tcp.Unbind>();
        akkaListener.Reply(Tcp.Unbound.Instance);
        ExpectMsg<Akka.Done>();
        Assert.Equal(new EchoProtocol.ListenerStats(Active: 0, Accepted: 2, Rejected: 1, Closed: 2), await StatsAsync(listener));

        // A drain asked for again is answered at once.
        listener.Tell(EchoProtocol.DrainConnections.Instance);
        ExpectMsg<Akka.Done>();
    }

    [Fact]
    public async Task A_connection_that_closes_during_the_drain_completes_it_before_the_timeout()
    {
        var (listener, akkaListener) = await BindAsync();
        var connection = Connect(listener, 40011);
        listener.Tell(EchoProtocol.DrainConnections.Instance);
        connection.FishForMessage(message => message is Tcp.ResumeReading);

        // The client closes (Akka.IO finishes a direct client's half-close and reports it as the end): the
        // connection ends, and with it the drain, long before drain-timeout.
        connection.Send(connection.LastSender, Tcp.PeerClosed.Instance);
        akkaListener.ExpectMsg<Tcp.Unbind>();
        akkaListener.Reply(Tcp.Unbound.Instance);
        ExpectMsg<Akka.Done>();
        Assert.Equal(0, (await StatsAsync(listener)).Active);
    }

    /// <summary>Starts a listener whose binds go to a probe, and binds it through a probe standing in for Akka.IO's
    /// listener actor.</summary>
    private async Task<(IActorRef Listener, TestProbe AkkaListener)> BindAsync()
    {
        var tcp = CreateTestProbe();
        var akkaListener = CreateTestProbe();
        var listener = Sys.ActorOf(EchoListener.Props(Settings, new IPEndPoint(IPAddress.Loopback, 0), ConnectionKind.PlainEcho,
            EchoBudget.Unlimited(), tcp.Ref));
        tcp.ExpectMsg<Tcp.Bind>(bind => Assert.True(bind.PullMode));
        akkaListener.Send(listener, new Tcp.Bound(Local));
        var bound = await listener.Ask<EchoProtocol.BindResult>(EchoProtocol.GetBindResult.Instance, TimeSpan.FromSeconds(5));
        Assert.IsType<EchoProtocol.BindSucceeded>(bound);
        return (listener, akkaListener);
    }

    private static Task<EchoProtocol.ListenerStats> StatsAsync(IActorRef listener) =>
        listener.Ask<EchoProtocol.ListenerStats>(EchoProtocol.GetStats.Instance, TimeSpan.FromSeconds(5));

    /// <summary>A client accepted: a probe plays Akka.IO's connection actor, which the listener's child registers with.</summary>
    private TestProbe Connect(IActorRef listener, int port)
    {
        var connection = CreateTestProbe();
        connection.Send(listener, new Tcp.Connected(new IPEndPoint(IPAddress.Loopback, port), Local));
        connection.ExpectMsg<Tcp.Register>();
        return connection;
    }
}
