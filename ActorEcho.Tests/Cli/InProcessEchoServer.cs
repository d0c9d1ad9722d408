using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Hosting;
using ActorEcho.Networking;

namespace ActorEcho.Tests.Cli;

/// <summary>An ActorEcho server in the test process on a free loopback port: faster than a host process, and the
/// commands under test still run as their own process.</summary>
internal static class InProcessEchoServer
{
    /// <param name="address">Loopback address to listen on: IPv4's by default.</param>
    public static Task<EchoServer> StartAsync(IPAddress? address = null)
    {
        var endpoint = new IPEndPoint(address ?? IPAddress.Loopback, 0);
        return EchoServer.StartAsync(
            ConfigLoader.Defaults,
            EchoSettings.Create(ConfigLoader.Defaults) with { BindAddress = EndpointParser.Format(endpoint) },
            endpoint);
    }

    public static string Address(this EchoServer server) => EndpointParser.Format(server.LocalEndpoint);
}
