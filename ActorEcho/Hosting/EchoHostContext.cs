using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using ActorEcho.TcpEcho;
using ActorEcho.Tls;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;

namespace ActorEcho.Hosting;

/// <summary>
/// What the parts of one echo server's host share: its settings, its readiness, its start-up log gate, its echo
/// budget and, once <see cref="ActorEchoHosting.AddActorEchoListeners"/> has bound them, where the listeners listen.
/// One per host; the server (<see cref="EchoServer"/>) and the hosted specs each make theirs.
/// </summary>
public sealed class EchoHostContext(Config config, EchoSettings settings, IPEndPoint endpoint, Action? listening = null)
{
    /// <summary>The akka settings (<c>akka.hocon</c> and the user's file) the actor system starts from.</summary>
    public Config Config { get; } = config;
    public EchoSettings Settings { get; } = settings;

    /// <summary>Where the TCP listener is asked to listen (port 0: any free port).</summary>
    public IPEndPoint Endpoint { get; } = endpoint;

    public ServerTimeouts Timeouts { get; } = ServerTimeouts.From(settings);

    /// <summary>What <c>/ready</c> and <c>/live</c> report.</summary>
    public ServerReadiness Readiness { get; } = new();

    public StartupLog StartupLog { get; } = new();

    /// <summary>The one bound on the echo bytes the whole server holds (<c>max-buffered-bytes</c>), made here and
    /// handed to the TCP and the TLS listener alike.</summary>
    public EchoBudget Budget { get; } = new(settings.MaxBufferedBytes);
    public ConnectionTable Connections { get; } = new();

    /// <summary>The TCP listener, also in the <see cref="ActorRegistry"/> as <see cref="EchoListener"/>; Nobody
    /// until bound.</summary>
    public IActorRef Listener { get; private set; } = ActorRefs.Nobody;

    /// <summary>Where the TCP listener listens, with its real port, once bound.</summary>
    public IPEndPoint LocalEndpoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Where the UDP echo listens, or <c>null</c> when it is off.</summary>
    public IPEndPoint? UdpLocalEndpoint { get; private set; }

    /// <summary>Where the TLS listener listens, or <c>null</c> when it is off (<see cref="TlsListener"/>).</summary>
    public IPEndPoint? TlsLocalEndpoint { get; private set; }

    /// <summary>The TLS listener and the kind of connection new handshakes get (its credentials), or null when TLS is
    /// off; what a reload (<see cref="SettingsReload"/>) needs, and replaces.</summary>
    public (IActorRef Listener, TlsEchoKind Kind)? Tls { get; internal set; }

    /// <summary>The last reload that read anything (<see cref="SettingsReload"/>), or null: none yet.</summary>
    public ReloadRecord? LastReload { get; internal set; }

    /// <summary>The open-file limit's bound on the connections, computed at start (null off Linux); a reload keeps its
    /// limit and reserve and bounds the new max-connections by them.</summary>
    public DescriptorBound? Descriptors { get; private set; }

    /// <summary>Each listener's max-connections in force (<c>tcp=N</c>, <c>, tls=M</c>): lowered by the open-file limit
    /// at start, changed by a reload; what <c>/ready</c> reports. Null until the listeners are made.</summary>
    public string? ConnectionLimits { get; internal set; }

    /// <summary>The UDP echo's listener, or null when it is off; what a reload needs.</summary>
    public IActorRef? UdpListener { get; private set; }

    /// <summary>Where the HTTP endpoint listens, with its real port; or null.</summary>
    public Uri? HttpAddress { get; private set; }

    /// <summary>Marks the system running (<c>/live</c> answers 200) and stopped once it terminates. Called as soon
    /// as the system exists; repeating it changes nothing.</summary>
    public void MarkSystemStarted(ActorSystem system)
    {
        if (Readiness.Current != ServerReadiness.Stage.Starting)
            return;
        Readiness.MarkSystemStarted();
        system.RegisterOnTermination(Readiness.MarkStopped);
    }

    /// <summary>Binds the UDP echo (if on), the TCP listener and the TLS one (if on), hooks their shutdown into
    /// CoordinatedShutdown, then reports the server listening.</summary>
    internal async Task StartListenersAsync(ActorSystem system, ActorRegistry registry, IServiceProvider provider)
    {
        MarkSystemStarted(system);
        // UDP first: it registers its own drain once bound, so a failed TCP bind still releases it cleanly, and
        // a failed UDP bind leaves no TCP listener behind (whose late log lines, written by Akka's stdout
        // logger while the system terminates, would reach stdout). The stdout lines still name TCP first.
        var settings = WithinDescriptorLimit(system);
        Descriptors = settings.Descriptors;
        if (Settings.Udp.BindAddress is not null)
            (UdpLocalEndpoint, UdpListener) = await UdpEchoService.StartAsync(system, Settings.Udp, Timeouts.Bind).ConfigureAwait(false);
        var listener = system.ActorOf(EchoListener.Props(settings, Endpoint, ConnectionKind.PlainEcho, Budget, connections: Connections), "listener");
        registry.Register<EchoListener>(listener);
        LocalEndpoint = await ListenerBind.AwaitAsync(listener, EchoProtocol.GetBindResult.Instance, Timeouts.Bind,
            EndpointParser.Format(Endpoint)).ConfigureAwait(false);
        Listener = listener;
        EchoServer.RegisterShutdownTasks(system, listener, Timeouts);
        // TLS: a second listener beside the TCP one, sharing its budget; null when off.
        ConnectionLimits = DescribeLimits(settings.MaxConnections, null);
        var tlsSettings = settings with { MaxConnections = settings.Descriptors?.TlsMaxConnections ?? settings.MaxConnections };
        if (await TlsListener.StartAsync(system, tlsSettings, Budget, Timeouts, Connections).ConfigureAwait(false) is { } tls)
        {
            TlsLocalEndpoint = tls.Endpoint;
            ConnectionLimits = DescribeLimits(settings.MaxConnections, tlsSettings.MaxConnections);
            Tls = (tls.Listener, tls.Kind);
        }
        LameDuck.Register(system, Readiness, Settings.LameDuck);
        Readiness.MarkServing();
        if (Settings.HttpEndpoint is not null)
        {
            HttpAddress = HttpEndpoint.Address(provider);
            system.Log.Info("Serving HTTP on {0} (/ the status page, /metrics, /ready, /live, /connections, /sources)", HttpAddress);
        }
        listening?.Invoke();
        StartupLog.Release();
    }

    /// <summary>The value of <see cref="ConnectionLimits"/>: <c>tcp=N</c>, and <c>, tls=M</c> when TLS is on.</summary>
    internal static string DescribeLimits(int tcp, int? tls) => tls is { } tlsLimit ? $"tcp={tcp}, tls={tlsLimit}" : $"tcp={tcp}";

    /// <summary>The settings the listeners get: on Linux, with max-connections lowered (and one warning) when the
    /// open-file limit cannot hold them beside the runtime (<see cref="DescriptorBound"/>), so that a client over it is
    /// refused before the process runs out of descriptors. Computed before any listener opens a socket, once Kestrel
    /// (if on) listens, so that <c>descriptor-reserve = auto</c> counts what the runtime holds by then.</summary>
    /// <exception cref="SettingsException">the limit leaves too few connections.</exception>
    private EchoSettings WithinDescriptorLimit(ActorSystem system)
    {
        if (OpenFiles.Limit() is not { } limit)
            return Settings;
        var reserve = Settings.DescriptorReserve ?? (OpenFiles.InUse() ?? 0) + DescriptorBound.AutoReserveMargin;
        var bound = DescriptorBound.For(Settings, limit, reserve);
        if (bound.Lowered)
            system.Log.Warning(bound.LoweredWarning(Settings));
        return Settings with { MaxConnections = bound.TcpMaxConnections, Descriptors = bound };
    }
}
