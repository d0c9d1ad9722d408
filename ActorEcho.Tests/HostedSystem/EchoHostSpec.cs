using System.Net;
using ActorEcho.Configuration;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Hosting.TestKit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorEcho.Hosting.Tests;

/// <summary>
/// A spec on the echo server's own host set-up: Akka.Hosting.TestKit builds the host and the actor system, and
/// the spec adds the server with the same two calls the server makes (<see cref="ActorEchoHosting"/>), plus
/// Kestrel when <c>http-endpoint</c> is on. The TCP listener binds to 127.0.0.1:0.
/// </summary>
public abstract class EchoHostSpec : TestKit
{
    /// <summary>Every wait in these specs ends by then: the server answers on loopback in milliseconds.</summary>
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    protected EchoHostSpec(string hocon = "") : base("actor-echo")
    {
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(ConfigLoader.Defaults);
        Echo = new EchoHostContext(config, EchoSettings.Create(config), new IPEndPoint(IPAddress.Loopback, 0));
    }

    protected EchoHostContext Echo { get; }

    /// <summary>A token that ends the spec's socket and HTTP waits at <see cref="Bound"/>.</summary>
    protected static CancellationToken Timeout() =>
        CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, new CancellationTokenSource(Bound).Token).Token;

    // Kestrel before Akka, as in the server: the host stops its services in reverse.
    protected override void ConfigureHostBuilder(IHostBuilder builder)
    {
        if (Echo.Settings.HttpEndpoint is { } url)
            builder.ConfigureWebHost(web => HttpEndpoint.Configure(web, url, Echo));
    }

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) =>
        services.AddActorEchoListeners(Echo);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithActorEcho(Echo, provider);
}
