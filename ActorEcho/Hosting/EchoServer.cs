using System.Net;
using ActorEcho.Actors;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using ActorEcho.Operations;
using ActorEcho.Tls;
using ActorEcho.UdpEcho;
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
/// (<see cref="LameDuck"/>). The optional UDP echo (<see cref="UdpEchoService"/>) stops echoing and releases its
/// socket in <c>service-unbind</c>.
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

    /// <summary>Where the TLS listener listens, or <c>null</c> when it is off (<see cref="TlsListener"/>).</summary>
    public IPEndPoint? TlsLocalEndpoint { get; private init; }

    /// <summary>Where the UDP echo listens, or <c>null</c> when it is off.</summary>
    public IPEndPoint? UdpLocalEndpoint { get; private init; }

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
    /// <exception cref="SettingsException">the akka settings are invalid.</exception>
    /// <exception cref="BindFailedException">the address, or the metrics endpoint's, could not be bound (in use,
    /// not local, no permission), or the bind did not answer within <see cref="ServerTimeouts.Bind"/>.</exception>
    public static async Task<EchoServer> StartAsync(Config config, EchoSettings settings, IPEndPoint endpoint)
    {
        var timeouts = ServerTimeouts.From(settings);
        var readiness = new ServerReadiness();
        var http = await StartHttpAsync(settings, readiness).ConfigureAwait(false);
        ActorSystem system;
        try
        {
            system = CreateSystem(config, settings, timeouts);
            readiness.MarkSystemStarted();
            system.RegisterOnTermination(readiness.MarkStopped);
        }
        catch
        {
            await DisposeAsync(http).ConfigureAwait(false);
            throw;
        }

        try
        {
            StartTcp(system);
            var udp = await BindUdpAsync(system, settings.Udp, timeouts.Bind).ConfigureAwait(false);
            var (listener, local) = await BindAsync(system, settings, endpoint, timeouts.Bind).ConfigureAwait(false);
            RegisterShutdownTasks(system, listener, timeouts);
            // TLS (issue 19): a second listener beside the TCP one, sharing its budget; null when off.
            var tls = await TlsListener.StartAsync(system, settings, listener, timeouts).ConfigureAwait(false);
            LameDuck.Register(system, readiness, settings.LameDuck);
            readiness.MarkServing();
            if (http is not null)
                system.Log.Info("Serving HTTP on {0} (/metrics, /ready, /live)", http.Address);
            return new EchoServer(system, listener, local, settings, readiness, http) { UdpLocalEndpoint = udp, TlsLocalEndpoint = tls };
        }
        catch
        {
            await TerminateFailedStartAsync(system).ConfigureAwait(false);
            await DisposeAsync(http).ConfigureAwait(false);
            throw;
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

    /// <summary>Starts the optional HTTP endpoint and waits until it listens. <c>metrics.prometheus-endpoint</c>
    /// is the older name of <c>http-endpoint</c>, kept with its scrape path.</summary>
    private static async Task<HttpEndpoint?> StartHttpAsync(EchoSettings settings, ServerReadiness readiness) =>
        settings.HttpEndpoint is { } url ? await HttpEndpoint.StartAsync(url, HttpEndpoint.DefaultMetricsPath, readiness).ConfigureAwait(false)
        : settings.PrometheusEndpoint is { } legacy ? await HttpEndpoint.StartAsync(legacy, MetricsPath(legacy), readiness).ConfigureAwait(false)
        : null;

    private static string MetricsPath(Uri url) =>
        url.AbsolutePath is "" or "/" ? HttpEndpoint.DefaultMetricsPath : url.AbsolutePath.TrimEnd('/');

    private static ValueTask DisposeAsync(HttpEndpoint? endpoint) => endpoint?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>Creates the actor system; waits for nothing. Akka reads most of its own settings here.</summary>
    private static ActorSystem CreateSystem(Config config, EchoSettings settings, ServerTimeouts timeouts)
    {
        try
        {
            return ActorSystem.Create("actor-echo",
                ShutdownConfig(timeouts).WithFallback(LameDuck.ShutdownConfig(settings)).WithFallback(config));
        }
        catch (Exception e) when (e is ConfigurationException or ArgumentException or FormatException)
        {
            throw new SettingsException($"invalid akka settings: {OneLine.Of(e.Message)}");
        }
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
        // What Akka.NET 1.5.74 throws for bad akka.io.tcp values (TcpSettings.Create, read from the assembly):
        // FormatException for a malformed number, ArgumentException for sizes out of range or a null number,
        // InvalidOperationException for a size key without a value (Nullable.Value), NotSupportedException
        // for a malformed boolean, and NullReferenceException from HoconObject.MergeImmutable when akka.io.tcp
        // itself is not an object (`akka.io.tcp = 5`).
        catch (Exception e) when (e is ConfigurationException or ArgumentException or FormatException
                                      or InvalidOperationException or NotSupportedException or NullReferenceException)
        {
            throw new SettingsException($"invalid akka.io.tcp settings: {OneLine.Of(e.Message)}");
        }
    }

    /// <summary>Binds the UDP echo, if <c>udp.bind-address</c> is set, and returns the address bound (or null). It
    /// runs before the TCP bind: the UDP echo registers its own drain once bound, so a failed TCP bind still
    /// releases it cleanly, and a failed UDP bind leaves no TCP listener behind (whose late log lines would reach
    /// stdout). The stdout lines still name TCP first.</summary>
    private static async Task<IPEndPoint?> BindUdpAsync(ActorSystem system, UdpEchoSettings settings, TimeSpan timeout) =>
        settings.BindAddress is null ? null : await UdpEchoService.StartAsync(system, settings, timeout).ConfigureAwait(false);

    /// <summary>Starts the listener and waits, at most <paramref name="timeout"/>, for its bind's outcome.</summary>
    private static async Task<(IActorRef Listener, IPEndPoint LocalEndpoint)> BindAsync(
        ActorSystem system, EchoSettings settings, IPEndPoint endpoint, TimeSpan timeout)
    {
        var listener = system.ActorOf(EchoListener.Props(settings, endpoint), "listener");
        EchoListener.BindResult result;
        try
        {
            result = await listener.Ask<EchoListener.BindResult>(EchoListener.GetBindResult.Instance, timeout)
                .ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new BindFailedException(
                $"cannot listen on {EndpointParser.Format(endpoint)}: no answer within {timeout.TotalSeconds:0} s");
        }
        return result switch
        {
            EchoListener.BindSucceeded bound => (listener, (IPEndPoint)bound.LocalAddress),
            EchoListener.BindFailed failed => throw new BindFailedException(failed.Reason),
            _ => throw new InvalidOperationException($"unknown bind result {result}"),
        };
    }

    /// <summary>Runs the graceful shutdown (stop accepting, drain, terminate) and waits for it.</summary>
    public Task StopAsync() => CoordinatedShutdown.Get(System).Run(ServerStopReason.Instance);

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await WhenTerminated.ConfigureAwait(false);
    }

    /// <summary>Stretches the drain phase's timeout to fit the drain (<see cref="ServerTimeouts.DrainPhase"/>), and
    /// leaves process exit to the host so that it can choose the exit code.</summary>
    private static Config ShutdownConfig(ServerTimeouts timeouts) =>
        ConfigurationFactory.ParseString($$"""
            akka.coordinated-shutdown {
              exit-clr = off
              phases.service-requests-done.timeout = {{(long)timeouts.DrainPhase.TotalMilliseconds}}ms
            }
            """);

    /// <summary>The shutdown phases' tasks: each asks the listener and waits, at most the time
    /// <paramref name="timeouts"/> gives it, for its answer.</summary>
    private static void RegisterShutdownTasks(ActorSystem system, IActorRef listener, ServerTimeouts timeouts)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-accepting", async () =>
        {
            await listener.Ask<Done>(EchoListener.StopAccepting.Instance, timeouts.StopAccepting).ConfigureAwait(false);
            return Done.Instance;
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "drain-connections", async () =>
        {
            await listener.Ask<Done>(EchoListener.DrainConnections.Instance, timeouts.Drain).ConfigureAwait(false);
            return Done.Instance;
        });
    }
}

/// <summary>How long starting and stopping wait for the listener, all derived in one place.</summary>
/// <param name="Bind">The bind's answer: Akka.IO answers at once unless something is badly wrong.</param>
/// <param name="StopAccepting">The listener's answer to StopAccepting, which it gives at once.</param>
/// <param name="Drain">The listener's answer to DrainConnections: <c>drain-timeout</c>, then <c>drain-linger</c> for
/// the connections still active to finish or be reset, the aborted stragglers' ends and the unbind.</param>
/// <param name="DrainPhase">CoordinatedShutdown's phase that runs the drain: a little longer than
/// <paramref name="Drain"/>, so that the drain's own timeout is what reports a drain that hangs.</param>
public sealed record ServerTimeouts(TimeSpan Bind, TimeSpan StopAccepting, TimeSpan Drain, TimeSpan DrainPhase)
{
    /// <summary>Time the listener gets after <c>drain-timeout</c> + <c>drain-linger</c> to abort the connections
    /// left and unbind.</summary>
    private static readonly TimeSpan AfterDrainTimeout = TimeSpan.FromSeconds(4);

    public static ServerTimeouts From(EchoSettings settings)
    {
        var drain = settings.DrainTimeout + settings.DrainLinger + AfterDrainTimeout;
        return new ServerTimeouts(
            Bind: TimeSpan.FromSeconds(30),
            StopAccepting: TimeSpan.FromSeconds(5),
            Drain: drain,
            DrainPhase: drain + TimeSpan.FromSeconds(1));
    }
}

/// <summary>The listening socket could not be bound; the message is one line meant for the user.</summary>
public sealed class BindFailedException(string message) : Exception(message);
