using System.Net;
using ActorEcho.Actors;
using ActorEcho.Diagnostics;
using ActorEcho.UdpEcho;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;

namespace ActorEcho.Hosting;

/// <summary>
/// One running echo server: its actor system, its bound listener, and the shutdown sequence hooked into Akka's
/// CoordinatedShutdown (which Akka itself also runs on SIGTERM/SIGINT and process exit): in
/// <c>service-unbind</c> the listener stops serving new clients, in <c>service-requests-done</c> it drains its
/// connections and only then releases the listening socket (an unbind aborts whatever is still open).
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

    private EchoServer(ActorSystem system, IActorRef listener, IPEndPoint localEndpoint, EchoSettings settings)
    {
        System = system;
        Listener = listener;
        LocalEndpoint = localEndpoint;
        Settings = settings;
    }

    public ActorSystem System { get; }
    public IActorRef Listener { get; }
    public IPEndPoint LocalEndpoint { get; }
    public EchoSettings Settings { get; }

    /// <summary>Where the UDP echo listens, or <c>null</c> when it is off.</summary>
    public IPEndPoint? UdpLocalEndpoint { get; private init; }

    /// <summary>Completes once the actor system has terminated, whoever started the shutdown.</summary>
    public Task WhenTerminated => System.WhenTerminated;

    /// <summary>Starts an actor system from <paramref name="config"/> and binds the listener (and the Prometheus
    /// endpoint, if configured; it stops when the actor system terminates).</summary>
    /// <exception cref="BindFailedException">the address, or the metrics endpoint's, could not be bound (in use,
    /// not local, no permission).</exception>
    public static async Task<EchoServer> StartAsync(Config config, EchoSettings settings, IPEndPoint endpoint)
    {
        var metrics = settings.PrometheusEndpoint is { } url ? PrometheusEndpoint.Start(url) : null;
        ActorSystem system;
        try
        {
            system = ActorSystem.Create("actor-echo", ShutdownConfig(settings).WithFallback(config));
        }
        catch (Exception e) when (e is ConfigurationException or ArgumentException or FormatException)
        {
            metrics?.Dispose();
            throw new SettingsException($"invalid akka settings: {OneLine.Of(e.Message)}");
        }
        catch
        {
            metrics?.Dispose();
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
            metrics?.Dispose();
            await system.Terminate().ConfigureAwait(false);
            throw new SettingsException($"invalid akka.io.tcp settings: {OneLine.Of(e.Message)}");
        }
        if (metrics is not null)
            system.RegisterOnTermination(metrics.Dispose);
        try
        {
            // UDP first: it registers its own drain when bound, so a failed TCP bind still releases it cleanly, and a
            // failed UDP bind leaves no TCP listener to clean up. The stdout lines still name TCP first.
            var udp = settings.Udp.BindAddress is null ? null : await UdpEchoService.StartAsync(system, settings.Udp).ConfigureAwait(false);
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
                    return new EchoServer(system, listener, (IPEndPoint)bound.LocalAddress, settings) { UdpLocalEndpoint = udp };
                case EchoListener.BindFailed failed:
                    throw new BindFailedException(failed.Reason);
                default:
                    throw new BindFailedException($"cannot listen on {EndpointParser.Format(endpoint)}: unexpected reply {result}");
            }
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            throw;
        }
    }

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
