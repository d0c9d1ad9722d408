using ActorEcho.Tests.Actors.Wires;
using Akka.IO;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary><see cref="EchoConnectionSpec"/> over plain TCP, and what only plain TCP does: Akka.IO finishes a direct
/// client's half-close.</summary>
public sealed class PlainEchoConnectionSpec(ITestOutputHelper output) : EchoConnectionSpec(output)
{
    protected override ConnectionWire NewWire() => new PlainWire(this);

    [Fact]
    public async Task Registers_a_direct_client_without_keep_open_and_requests_the_first_read()
    {
        // The wire checks the registration: no keep-open (Akka.IO finishes a direct client's half-close), no
        // resume-writing, then one read.
        var wire = NewWire();
        await wire.StartAsync(Settings);
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task Registers_with_keep_open_where_the_half_close_is_finished_here()
    {
        var wire = NewWire();
        await wire.StartAsync(Settings, keepOpen: true);
        await wire.ExpectNothingMoreAsync();
    }

    [Fact]
    public async Task A_peer_close_ends_a_direct_clients_connection_without_a_command()
    {
        var wire = NewWire();
        await wire.StartAsync(Settings);
        await wire.EchoRoundTripAsync(Bytes(10));
        wire.AckOldest();

        // Akka.IO sent the queued echo, closed, and reports the client's FIN as the connection's end.
        Watch(wire.Handler);
        wire.PeerClosed();
        await ExpectTerminatedAsync(wire.Handler);
        wire.ExpectNothingAfterStop();
    }
}
