using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using ActorEcho.TcpEcho;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.IO;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using LogLevel = Akka.Event.LogLevel;

namespace ActorEcho.Hosting;

/// <summary>
/// One running echo server: one .NET generic host (Microsoft.Extensions.Hosting) that owns the actor system
/// (Akka.Hosting, from <c>akka.hocon</c>), the listeners (the TCP one in Akka.Hosting's <c>ActorRegistry</c>; both
/// set up by <see cref="ActorEchoHosting"/>, which the hosted specs use too), Kestrel when <c>http-endpoint</c> is on, the logging and
/// the shutdown. Shutdown is Akka's CoordinatedShutdown, which the host runs when it stops (<see cref="StopAsync"/>,
/// which <c>serve</c> calls on a signal: <see cref="ShutdownSignals"/>) and which stops the host when Akka runs it
/// itself: in <c>before-service-unbind</c>
/// readiness turns "not ready" and the optional lame duck runs (<see cref="LameDuck"/>); in
/// <c>service-unbind</c> the listener stops serving new clients (and the optional UDP echo,
/// <see cref="UdpEchoService"/>, stops and releases its socket); in <c>service-requests-done</c> the listener
/// drains its connections and only then releases the listening socket. Under systemd (<c>Type=notify</c>), the
/// host sends READY=1 once every listener is bound and STOPPING=1 when shutdown begins (<see cref="SystemdNotify"/>).
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    /// <summary>Why a shutdown that the host started itself (<see cref="StopAsync"/>, dispose) ran.</summary>
    public sealed class ServerStopReason : CoordinatedShutdown.Reason
    {
        public static readonly ServerStopReason Instance = new();
        private ServerStopReason() { }
        public override int ExitCode => 0;
    }

    private readonly IHost _host;
    private readonly EchoHostContext _echo;

    private EchoServer(IHost host, EchoHostContext echo)
    {
        _host = host;
        _echo = echo;
        System = host.Services.GetRequiredService<ActorSystem>();
        // Waiting starts now: the host stops itself once shutdown is asked for (StopAsync) or Akka terminated.
        WhenTerminated = StopAfterTermination(host.WaitForShutdownAsync());
    }

    public ActorSystem System { get; }
    public IActorRef Listener => _echo.Listener;
    public IPEndPoint LocalEndpoint => _echo.LocalEndpoint;
    public EchoSettings Settings => _echo.Settings;

    /// <summary>Where the TLS listener listens, or <c>null</c> when it is off (<see cref="TlsListener"/>).</summary>
    public IPEndPoint? TlsLocalEndpoint => _echo.TlsLocalEndpoint;

    /// <summary>Where the UDP echo listens, or <c>null</c> when it is off.</summary>
    public IPEndPoint? UdpLocalEndpoint => _echo.UdpLocalEndpoint;

    /// <summary>What a reload (<see cref="SettingsReload"/>) tells its new settings: the host's listeners.</summary>
    internal EchoHostContext Context => _echo;

    /// <summary>What <c>/ready</c> and <c>/live</c> report; flipped as the server starts, shuts down, stops.</summary>
    public ServerReadiness Readiness => _echo.Readiness;

    /// <summary>Where the HTTP endpoint (<c>actor-echo.http-endpoint</c>) listens, with its real port; or null.</summary>
    public Uri? HttpAddress => _echo.HttpAddress;

    /// <summary>Completes once the actor system has terminated and the host (with Kestrel) has stopped, whoever
    /// started the shutdown.</summary>
    public Task WhenTerminated { get; }

    /// <summary>Why the actor system's CoordinatedShutdown ran, once it has (e.g. <see cref="ListeningSocketLost"/>).</summary>
    public CoordinatedShutdown.Reason? ShutdownReason => CoordinatedShutdown.Get(System).ShutdownReason;

    private async Task StopAfterTermination(Task hostStopped)
    {
        await hostStopped.ConfigureAwait(false);
        await System.WhenTerminated.ConfigureAwait(false);
    }

    /// <summary>Builds the host from <paramref name="config"/>, starts it and binds the listeners (and the HTTP
    /// endpoint, if configured).</summary>
    /// <param name="onListening">Runs once every listener is bound, before systemd hears READY=1 (the host's
    /// <c>Listening on</c> lines).</param>
    /// <exception cref="SettingsException">the akka settings are invalid.</exception>
    /// <exception cref="BindFailedException">the address, or the HTTP endpoint's, could not be bound (in use,
    /// not local, no permission), or the bind did not answer within <see cref="ServerTimeouts.Bind"/>.</exception>
    public static async Task<EchoServer> StartAsync(Config config, EchoSettings settings, IPEndPoint endpoint,
        Action<EchoServer>? onListening = null)
    {
        RefuseTooFewDescriptors(settings);
        IHost? host = null;
        EchoServer? server = null;
        EchoHostContext? echo = null;
        echo = new EchoHostContext(config, settings, endpoint, () =>
        {
            server = new EchoServer(host!, echo!);
            onListening?.Invoke(server);
        });
        host = BuildHost(echo);

        var system = CreateSystem(host);
        try
        {
            echo.MarkSystemStarted(system);
            StartTcp(system);
            await host.StartAsync().ConfigureAwait(false);
            return server ?? throw new InvalidOperationException("the host started without binding");
        }
        catch (Exception e)
        {
            echo.StartupLog.Discard();
            await TerminateFailedStartAsync(system).ConfigureAwait(false);
            host.Dispose();
            if (settings.HttpEndpoint is { } url && HttpEndpoint.IsBindFailure(e))
                throw HttpEndpoint.BindFailed(url, e);
            throw;
        }
    }

    /// <summary>A limit on open files below what the runtime itself will hold (or the reserve set) and a few
    /// connections is refused before anything starts: later, the runtime would abort for want of descriptors.</summary>
    /// <exception cref="SettingsException">the limit is too low.</exception>
    private static void RefuseTooFewDescriptors(EchoSettings settings)
    {
        if (OpenFiles.Limit() is { } limit)
            _ = DescriptorBound.For(settings, limit, settings.DescriptorReserve ?? DescriptorBound.RuntimeEstimate(settings));
    }

    private static IHost BuildHost(EchoHostContext echo)
    {
        var builder = new HostBuilder();
        // Kestrel first: the host stops its services in reverse, so /ready and /live answer through the drain.
        if (echo.Settings.HttpEndpoint is { } url)
            builder.ConfigureWebHost(web => HttpEndpoint.Configure(web, url, echo));
        builder.ConfigureLogging(logging => HostLogging.Configure(logging, echo.Settings.LogFormat));
        builder.ConfigureServices(services =>
        {
            // CoordinatedShutdown's phases bound the shutdown; the host waits for them.
            services.Configure<HostOptions>(options => options.ShutdownTimeout = Timeout.InfiniteTimeSpan);
            // systemd's READY=1 and STOPPING=1, and no signal handling: that is ShutdownSignals' alone.
            services.AddSingleton<IHostLifetime, SystemdNotify>();
            services.AddAkka<AkkaService>("actor-echo", (akka, provider) => akka.WithActorEcho(echo, provider));
            // After Akka's service: the listeners bind once the system has started.
            services.AddActorEchoListeners(echo);
        });
        return builder.Build();
    }

    /// <summary>Creates the actor system before the host starts, so that bad akka settings are one line here
    /// rather than Akka.Hosting's start-up failure report.</summary>
    private static ActorSystem CreateSystem(IHost host)
    {
        try
        {
            return host.Services.GetRequiredService<ActorSystem>();
        }
        catch (Exception e) when (SettingsErrors.IsSettingsError(e))
        {
            host.Dispose();
            throw new SettingsException($"invalid akka settings: {OneLine.Of(e.Message)}");
        }
    }

    /// <summary>Ends a system whose start failed; the host then explains the failure in one line. The shutdown
    /// logs nothing below ERROR: Akka hands the events that a stopping logger has not written yet to its stdout
    /// logger, and CoordinatedShutdown's own INFO line ("CoordinatedShutdown invoked ...") could otherwise reach
    /// stdout when the shutdown is quick (a failed UDP bind leaves nothing to drain).</summary>
    private static Task TerminateFailedStartAsync(ActorSystem system)
    {
        system.EventStream.SetLogLevel(LogLevel.ErrorLevel);
        return system.Terminate();
    }

    /// <summary>Starts Akka.IO's TCP extension, which reads and checks <c>akka.io.tcp</c> when first used; waits
    /// for nothing. Doing it here turns a bad value (e.g. a frame
    /// larger than send-buffer-size) into a one-line error, instead of a listener that fails to start, an error
    /// log with a stack trace, and a bind that never answers.</summary>
    private static void StartTcp(ActorSystem system)
    {
        try
        {
            _ = system.Tcp();
        }
        // Akka.NET 1.5.74's TcpSettings.Create throws for each kind of bad value (EchoServerStartSpec has one each).
        catch (Exception e) when (SettingsErrors.IsSettingsError(e))
        {
            throw new SettingsException($"invalid akka.io.tcp settings: {OneLine.Of(e.Message)}");
        }
    }

    /// <summary>Akka.Hosting's service, stopping with this server's own reason rather than "CLR exit".</summary>
    private sealed class AkkaService(AkkaConfigurationBuilder builder, IServiceProvider provider,
        ILogger<AkkaHostedService> logger, IHostApplicationLifetime lifetime)
        : AkkaHostedService(builder, provider, logger, lifetime)
    {
        public override Task StopAsync(CancellationToken cancellationToken) =>
            CoordinatedShutdown?.Run(ServerStopReason.Instance) ?? Task.CompletedTask;
    }

    /// <summary>Runs the graceful shutdown (stop accepting, drain, terminate) and waits for it and the host. It
    /// stops the host, which says STOPPING=1 first and then stops its services in reverse: Akka's (whose
    /// CoordinatedShutdown drains, <see cref="AkkaService"/>) before Kestrel's, so /ready answers through the drain.</summary>
    public async Task StopAsync()
    {
        _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await WhenTerminated.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await WhenTerminated.ConfigureAwait(false);
        _host.Dispose();
    }

    /// <summary>Hooks a listener into CoordinatedShutdown: stop accepting in service-unbind, drain in
    /// service-requests-done, each waiting at most the time <paramref name="timeouts"/> gives it for the listener's
    /// answer. <paramref name="taskPrefix"/> names a second listener's tasks apart (the TLS one's).</summary>
    internal static void RegisterShutdownTasks(ActorSystem system, IActorRef listener, ServerTimeouts timeouts,
        string taskPrefix = "")
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, taskPrefix + "stop-accepting", async () =>
        {
            await listener.Ask<Done>(EchoProtocol.StopAccepting.Instance, timeouts.StopAccepting).ConfigureAwait(false);
            return Done.Instance;
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, taskPrefix + "drain-connections", async () =>
        {
            await listener.Ask<Done>(EchoProtocol.DrainConnections.Instance, timeouts.Drain).ConfigureAwait(false);
            return Done.Instance;
        });
    }
}
