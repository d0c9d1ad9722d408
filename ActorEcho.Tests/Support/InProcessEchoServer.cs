using System.Net;
using System.Net.Sockets;
using ActorEcho.Configuration;
using ActorEcho.Hosting;

namespace ActorEcho.Tests.Support;

/// <summary>The whole ActorEcho server (<see cref="EchoServer"/>: listener, HTTP endpoints, shutdown) in the test
/// process on a free loopback port, with the shipped settings: faster than a host process. (The listener alone in a
/// test actor system: <see cref="ServerKit"/>; the host process: <c>Process/HostProcess</c>.)</summary>
internal static class InProcessEchoServer
{
    /// <param name="change">The spec's changes to the shipped settings.</param>
    /// <param name="address">Loopback address to listen on: IPv4's by default.</param>
    public static Task<EchoServer> StartAsync(Func<EchoSettings, EchoSettings>? change = null, IPAddress? address = null)
    {
        var endpoint = new IPEndPoint(address ?? IPAddress.Loopback, 0);
        var settings = EchoSettings.Create(ConfigLoader.Defaults) with { BindAddress = EndpointParser.Format(endpoint) };
        return EchoServer.StartAsync(ConfigLoader.Defaults, change is null ? settings : change(settings), endpoint);
    }

    public static string Address(this EchoServer server) => EndpointParser.Format(server.LocalEndpoint);

    /// <summary>Starts a server whose settings name a loopback port another socket already listens on, and
    /// returns the start's failure with that port.</summary>
    /// <param name="useTakenPort">Puts the taken port into the settings.</param>
    public static async Task<(BindFailedException Failure, int Port)> AssertStartFailsOnATakenPortAsync(
        Func<EchoSettings, int, EchoSettings> useTakenPort)
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var failure = await Assert.ThrowsAsync<BindFailedException>(() => StartAsync(s => useTakenPort(s, port)));
        return (failure, port);
    }
}
