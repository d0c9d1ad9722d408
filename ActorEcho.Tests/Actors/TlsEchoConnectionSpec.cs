using System.Net;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Actors.Wires;
using ActorEcho.Tests.Tls;
using ActorEcho.Tls;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary><see cref="EchoConnectionSpec"/> over TLS (a real client SslStream behind the probe), and what only TLS
/// has: the handshake, a state before echoing, bounded by its timeout and by the drain timeout.</summary>
public sealed class TlsEchoConnectionSpec(ITestOutputHelper output) : EchoConnectionSpec(output)
{
    protected override ConnectionWire NewWire() => new TlsWire(this);

    private static readonly EndPoint Client = new IPEndPoint(IPAddress.Loopback, 40000);

    [Fact]
    public async Task Registers_with_keep_open_and_asks_for_a_read_once_the_handshake_has_completed()
    {
        // The wire checks the registration (keep-open: our close_notify follows the echo of a client's FIN) and
        // pumps the handshake until the first plaintext read.
        var wire = NewWire();
        await wire.StartAsync(Settings);
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task A_handshake_not_completed_within_its_timeout_is_closed_without_close_notify()
    {
        var (connection, handler) = await StartSilentClientAsync();

        Scheduler.Advance(TlsWire.HandshakeTimeout - Tick);
        Assert.False(connection.HasMessages);
        Scheduler.Advance(Tick);
        await connection.ExpectMsgAsync<Tcp.Close>();

        Watch(handler);
        handler.Tell(Tcp.Closed.Instance, connection.Ref);
        await ExpectTerminatedAsync(handler);
    }

    [Fact]
    public async Task The_drain_timeout_during_the_handshake_closes_at_once()
    {
        var (connection, handler) = await StartSilentClientAsync();

        handler.Tell(EchoProtocol.Drain.Instance);
        handler.Tell(EchoProtocol.DrainTimeoutReached.Instance);
        await connection.ExpectMsgAsync<Tcp.Close>();
    }

    /// <summary>A TLS connection whose client never sends its ClientHello: the handshake waits for a read.</summary>
    private async Task<(Akka.TestKit.TestProbe Connection, IActorRef Handler)> StartSilentClientAsync()
    {
        var connection = CreateTestProbe();
        var kind = new TlsEchoKind(TestCertificates.ServerCredentials(), TlsWire.HandshakeTimeout);
        var handler = Sys.ActorOf(EchoConnection.Props(connection.Ref, Client, Client, Settings, EchoBudget.Unlimited(), kind,
            expectProxyHeader: false));
        await connection.ExpectMsgAsync<Tcp.Register>();
        await connection.ExpectMsgAsync<Tcp.ResumeReading>();
        return (connection, handler);
    }
}
