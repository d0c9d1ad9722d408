using ActorEcho.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorEcho.Hosting;

/// <summary>
/// The echo server on a .NET generic host with Akka.Hosting, in two calls that every host of it makes, the
/// server's own (<see cref="EchoServer"/>) and the hosted specs' (Akka.Hosting.TestKit) alike:
/// <code>
/// services.AddAkka("actor-echo", (akka, provider) => akka.WithActorEcho(echo, provider));
/// services.AddActorEchoListeners(echo);
/// </code>
/// The listeners bind in a hosted service of their own rather than in Akka.Hosting's start-up, whose failure
/// report (a stack trace on stdout) would replace the one-line <see cref="BindFailedException"/>.
/// </summary>
public static class ActorEchoHosting
{
    /// <summary>The actor system's side: the settings (with the shutdown phases stretched to fit the lame duck
    /// and the drain) and Akka's log through the host's Microsoft.Extensions.Logging (<see cref="HostLogger"/>).</summary>
    public static AkkaConfigurationBuilder WithActorEcho(this AkkaConfigurationBuilder akka, EchoHostContext echo,
        IServiceProvider provider)
    {
        akka.AddHocon(ShutdownConfig(echo.Timeouts).WithFallback(LameDuck.ShutdownConfig(echo.Settings)).WithFallback(echo.Config),
            HoconAddMode.Prepend);
        akka.AddSetup(new HostLogSetup(provider.GetRequiredService<ILoggerFactory>(), echo.StartupLog));
        return akka;
    }

    /// <summary>The listeners' side: <paramref name="echo"/> as a service, and the hosted service that binds the
    /// listeners (the TCP one into the <see cref="ActorRegistry"/>) when the host starts. The host's start (and
    /// with it systemd's READY=1) completes only once they are bound.</summary>
    public static IServiceCollection AddActorEchoListeners(this IServiceCollection services, EchoHostContext echo)
    {
        services.AddSingleton(echo);
        services.AddHostedService<ListenerStart>();
        return services;
    }

    /// <summary>Stretches the drain phase's timeout to fit the drain (<see cref="ServerTimeouts.DrainPhase"/>),
    /// leaves signals to <see cref="ShutdownSignals"/> (the host runs CoordinatedShutdown when it stops) and process
    /// exit to the command, so that it can choose the exit code.</summary>
    private static Config ShutdownConfig(ServerTimeouts timeouts) =>
        ConfigurationFactory.ParseString($$"""
            akka.coordinated-shutdown {
              exit-clr = off
              run-by-clr-shutdown-hook = off
              phases.service-requests-done.timeout = {{(long)timeouts.DrainPhase.TotalMilliseconds}}ms
            }
            """);

    private sealed class ListenerStart(EchoHostContext echo, IServiceProvider provider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => echo.StartListenersAsync(
            provider.GetRequiredService<ActorSystem>(), provider.GetRequiredService<ActorRegistry>(), provider);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
