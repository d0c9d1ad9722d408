using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Networking;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Actors;

/// <summary>
/// The listener itself over real loopback sockets: its bind result, the addresses it binds, and the loss of its
/// listening socket. What its connections do is in <c>Server/</c>.
/// </summary>
public sealed class EchoListenerSpec(ITestOutputHelper output) : ServerKit(output)
{
    private static readonly EchoSettings NoIdle = Settings(s => s with { IdleTimeout = null });

    [IPv6LoopbackFact]
    public async Task Serves_clients_on_the_ipv6_loopback()
    {
        var (_, endpoint) = await StartListenerAsync(NoIdle, IPAddress.IPv6Loopback);
        Assert.Equal(AddressFamily.InterNetworkV6, endpoint.AddressFamily);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));

        await Task.WhenAll(Enumerable.Range(1, 5).Select(async i =>
        {
            using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
            var data = LoopbackClient.RandomBytes(64 * 1024, seed: 300 + i);
            var echoed = await client.EchoWithHalfCloseAsync(data, ct);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"client {i}: {echoed.Length} bytes differ from the {data.Length} sent");
        }));
    }

    [IPv6LoopbackFact]
    public async Task The_ipv6_wildcard_serves_ipv4_and_ipv6_clients_alike()
    {
        var (_, bound) = await StartListenerAsync(NoIdle, IPAddress.IPv6Any);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));

        foreach (var (address, seed) in new[] { (IPAddress.Loopback, 320), (IPAddress.IPv6Loopback, 321) })
        {
            using var client = await LoopbackClient.ConnectAsync(new IPEndPoint(address, bound.Port), ct);
            var data = LoopbackClient.RandomBytes(16 * 1024, seed);
            var echoed = await client.EchoWithHalfCloseAsync(data, ct);
            Assert.True(data.AsSpan().SequenceEqual(echoed), $"{address}: the echo differs from what was sent");
        }
    }

    [Fact]
    public async Task Losing_the_listening_socket_shuts_the_server_down_with_its_reason()
    {
        var (_, endpoint) = await StartListenerAsync(NoIdle);
        var ct = Deadline.After(TimeSpan.FromSeconds(20));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        await AssertEchoAsync(client, seed: 40, ct);

        // Stand in for a fatal accept error, which makes Akka.IO's listener actor stop itself.
        var akkaListener = await Sys.ActorSelection("/system/IO-TCP/*").ResolveOne(Patience);
        akkaListener.Tell(PoisonPill.Instance);

        await Sys.WhenTerminated.WaitAsync(Patience);
        var reason = Assert.IsType<ListeningSocketLost>(CoordinatedShutdown.Get(Sys).ShutdownReason);
        Assert.Contains(endpoint.Port.ToString(), reason.Message);
    }

    [Fact]
    public async Task A_second_listener_on_a_port_in_use_reports_bind_failed_with_a_one_line_reason()
    {
        var (_, endpoint) = await StartListenerAsync(NoIdle);

        var second = Sys.ActorOf(EchoListener.Props(NoIdle, endpoint));
        var failed = Assert.IsType<EchoProtocol.BindFailed>(await BindResultAsync(second));
        Assert.Contains(endpoint.Port.ToString(), failed.Reason);
        Assert.DoesNotContain('\n', failed.Reason);
        Assert.DoesNotContain('\r', failed.Reason);

        // Asked again after the outcome is known, the listener still answers.
        Assert.Equal(failed, await BindResultAsync(second));

        // The first listener is unaffected.
        var ct = Deadline.After(TimeSpan.FromSeconds(10));
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        await AssertEchoAsync(client, seed: 1, ct);
    }

    [Fact]
    public async Task Get_bind_result_is_answered_again_after_a_successful_bind()
    {
        var (listener, endpoint) = await StartListenerAsync(NoIdle);
        var again = Assert.IsType<EchoProtocol.BindSucceeded>(await BindResultAsync(listener));
        Assert.Equal(endpoint, again.LocalAddress);
    }
}
