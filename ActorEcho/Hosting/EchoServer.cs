using System.Net;
using ActorEcho.Actors;
using ActorEcho.Operations;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.IO;

namespace ActorEcho.Hosting;

/// <summary>
/// One running echo server: its actor system, its bound listener, and the shutdown sequence hooked into Akka's
/// CoordinatedShutdown (which Akka itself also runs on SIGTERM/SIGINT and process exit): in
/// <c>service-unbind</c> the listener stops serving new clients, in <c>service-requests-done</c> it drains its
/// connections and only then releases the listening socket (an unbind aborts whatever is still open). Before
/// both, in <c>before-service-unbind</c>, readiness turns "not ready" and the optional lame duck runs
/// (<see cref="LameDuck"/>).
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    /// <summary>Why a shutdown that the host started itself (signal, dispose) ran.</summary>
    public sealed class ServerStopReason : CoordinatedShutdown.Reason
    {
        public static readonly ServerStopReason Instance = new();
        private ServerStopReason() { }
        public override int ExitCode => 0;
    }

    private EchoServer(ActorSystem system, IActorRef listener, IPEndPoint localEndpoint, EchoSettings settings,
        ServerReadiness readiness, HttpEndpoint? http)
    {
        System = system;
        Listener = listener;
        LocalEndpoint = localEndpoint;
        Settings = settings;
        Readiness = readiness;
        HttpAddress = http?.Address;
        // The HTTP endpoint answers /live until the actor system has terminated, then stops with it.
        WhenTerminated = http is null ? system.WhenTerminated : StopAfterTermination(system, http);
    }

    public ActorSystem System { get; }
    public IActorRef Listener { get; }
    public IPEndPoint LocalEndpoint { get; }
    public EchoSettings Settings { get; }

    /// <summary>What <c>/ready</c> and <c>/live</c> report; flipped as the server starts, shuts down, stops.</summary>
    public ServerReadiness Readiness { get; }

    /// <summary>Where the HTTP endpoint (<c>actor-echo.http-endpoint</c>) listens, with its real port; or null.</summary>
    public Uri? HttpAddress { get; }

    /// <summary>Completes once the actor system has terminated (and the HTTP endpoint stopped), whoever started
    /// the shutdown.</summary>
    public Task WhenTerminated { get; }

    private static async Task StopAfterTermination(ActorSystem system, HttpEndpoint http)
    {
        await system.WhenTerminated.ConfigureAwait(false);
        await http.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Starts an actor system from <paramref name="config"/> and binds the listener (and the HTTP
    /// endpoint, if configured; it stops when the actor system terminates).</summary>
    /// <exception cref="BindFailedException">the address, or the metrics endpoint's, could not be bound (in use,
    /// not local, no permission).</exception>
    public static async Task<EchoServer> StartAsync(Config config, EchoSettings settings, IPEndPoint endpoint)
    {
        var readiness = new ServerReadiness();
        // actor-echo.metrics.prometheus-endpoint is the older name of http-endpoint, kept with its scrape path.
        var http = settings.HttpEndpoint is { } url ? await HttpEndpoint.StartAsync(url, HttpEndpoint.DefaultMetricsPath, readiness).ConfigureAwait(false)
            : settings.PrometheusEndpoint is { } legacy ? await HttpEndpoint.StartAsync(legacy, MetricsPath(legacy), readiness).ConfigureAwait(false)
            : null;
        ActorSystem system;
        try
        {
            system = ActorSystem.Create("actor-echo", ShutdownConfig(settings).WithFallback(LameDuck.ShutdownConfig(settings)).WithFallback(config));
            readiness.MarkSystemStarted();
            system.RegisterOnTermination(readiness.MarkStopped);
        }
        catch (Exception e) when (e is ConfigurationException or ArgumentException or FormatException)
        {
            await DisposeAsync(http).ConfigureAwait(false);
            throw new SettingsException($"invalid akka settings: {OneLine.Of(e.Message)}");
        }
        catch
        {
            await DisposeAsync(http).ConfigureAwait(false);
            throw;
        }
        try
        {
            // Akka.IO reads and checks akka.io.tcp when the extension is first used. Doing that here turns a bad
            // value (e.g. a frame larger than send-buffer-size) into a one-line error, instead of a listener that
            // fails to start, an error log with a stack trace, and a bind that never answers.
            _ = system.Tcp();
        }
        catch (Exception e) when (e is ConfigurationException or ArgumentException or FormatException or NullReferenceException)
        {
            await system.Terminate().ConfigureAwait(false);
            await DisposeAsync(http).ConfigureAwait(false);
            throw new SettingsException($"invalid akka.io.tcp settings: {OneLine.Of(e.Message)}");
        }
        try
        {
            var listener = system.ActorOf(EchoListener.Props(settings, endpoint), "listener");
            object result;
            try
            {
                result = await listener.Ask<object>(EchoListener.GetBindResult.Instance, BindTimeout).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                throw new BindFailedException($"cannot listen on {EndpointParser.Format(endpoint)}: no answer within {BindTimeout.TotalSeconds:0} s");
            }
            switch (result)
            {
                case EchoListener.BindSucceeded bound:
                    RegisterShutdownTasks(system, listener, settings);
                    LameDuck.Register(system, readiness, settings.LameDuck);
                    readiness.MarkServing();
                    if (http is not null)
                        system.Log.Info("Serving HTTP on {0} (/metrics, /ready, /live)", http.Address);
                    return new EchoServer(system, listener, (IPEndPoint)bound.LocalAddress, settings, readiness, http);
                case EchoListener.BindFailed failed:
                    throw new BindFailedException(failed.Reason);
                default:
                    throw new BindFailedException($"cannot listen on {EndpointParser.Format(endpoint)}: unexpected reply {result}");
            }
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            await DisposeAsync(http).ConfigureAwait(false);
            throw;
        }
    }

    private static string MetricsPath(Uri url) =>
        url.AbsolutePath is "" or "/" ? HttpEndpoint.DefaultMetricsPath : url.AbsolutePath.TrimEnd('/');

    private static ValueTask DisposeAsync(HttpEndpoint? endpoint) => endpoint?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static readonly TimeSpan BindTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs the graceful shutdown (stop accepting, drain, terminate) and waits for it.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(ServerStopReason.Instance);

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await WhenTerminated.ConfigureAwait(false);
    }

    /// <summary>Stretches the drain phase's timeout to the configured drain timeout (plus the time the listener
    /// needs to abort stragglers), and leaves process exit to the host so that it can choose the exit code.</summary>
    private static Config ShutdownConfig(EchoSettings settings)
    {
        var drainPhase = (long)(settings.DrainTimeout + TimeSpan.FromSeconds(5)).TotalMilliseconds;
        return ConfigurationFactory.ParseString($$"""
            akka.coordinated-shutdown {
              exit-clr = off
              phases.service-requests-done.timeout = {{drainPhase}}ms
            }
            """);
    }

    private static void RegisterShutdownTasks(ActorSystem system, IActorRef listener, EchoSettings settings)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-accepting", async () =>
        {
            await listener.Ask<Done>(EchoListener.StopAccepting.Instance, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return Done.Instance;
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "drain-connections", async () =>
        {
            await listener.Ask<Done>(EchoListener.DrainConnections.Instance, settings.DrainTimeout + TimeSpan.FromSeconds(4))
                .ConfigureAwait(false);
            return Done.Instance;
        });
    }
}

/// <summary>The listening socket could not be bound; the message is one line meant for the user.</summary>
public sealed class BindFailedException(string message) : Exception(message);
