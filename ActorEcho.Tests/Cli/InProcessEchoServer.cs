using System.Net;
using ActorEcho.Hosting;

namespace ActorEcho.Tests.Cli;

/// <summary>An ActorEcho server in the test process on a free loopback port: faster than a host process, and the
/// commands under test still run as their own process.</summary>
internal static class InProcessEchoServer
{
    public static Task<EchoServer> StartAsync() => EchoServer.StartAsync(
        ConfigLoader.Defaults,
        EchoSettings.Create(ConfigLoader.Defaults) with { BindAddress = "127.0.0.1:0" },
        new IPEndPoint(IPAddress.Loopback, 0));

    public static string Address(this EchoServer server) => EndpointParser.Format(server.LocalEndpoint);
}
