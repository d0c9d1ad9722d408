using System.Net;
using ActorEcho.Configuration;
using ActorEcho.TcpEcho;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Support;

/// <summary>
/// The one way the specs start a server in-process: an actor system configured like the shipped server (the
/// embedded <c>akka.hocon</c>) that hosts real <see cref="EchoListener"/>s on the loopback, port 0, with helpers
/// to reach their connection actors and counters. (The host process itself: <c>Process/HostProcess</c>.)
/// </summary>
public abstract class ServerKit(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(QuietConfig.WithFallback(ConfigLoader.Defaults), output: output)
{
    /// <summary>Upper bound for any single wait in these specs; a healthy run needs a small fraction of it.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    // Failures and rejections are expected here; warnings would only bury the assertion that failed.
    private static readonly Config QuietConfig = ConfigurationFactory.ParseString("akka.loglevel = ERROR");

    /// <summary>Socket buffer size for the specs about backpressure, on both ends: fixed buffers switch off the
    /// kernel's auto-tuning, which could otherwise hide megabytes in loopback buffers and make the server's own
    /// buffering impossible to observe from the client.</summary>
    protected const int FixedSocketBuffer = 64 * 1024;

    private int _listenerCount;
    /// <summary>The budget each listener started here was given, as the host gives its listeners theirs.</summary>
    private readonly Dictionary<IActorRef, EchoBudget> _budgets = [];

    /// <summary>The shipped settings for the specs about backpressure: <see cref="FixedSocketBuffer"/>-sized socket
    /// buffers, no idle timeout (a held-up client must not be reclaimed meanwhile), and a short drain timeout so
    /// that a drain that hangs fails fast.</summary>
    protected static EchoSettings BackpressureSettings() => Settings(s => s with
    {
        IdleTimeout = null,
        DrainTimeout = TimeSpan.FromSeconds(5),
        SocketReceiveBufferSize = FixedSocketBuffer,
        SocketSendBufferSize = FixedSocketBuffer,
    });

    /// <summary>The shipped settings, with the spec's changes.</summary>
    protected static EchoSettings Settings(Func<EchoSettings, EchoSettings>? change = null)
    {
        var settings = EchoSettings.Create(ConfigLoader.Defaults);
        return change is null ? settings : change(settings);
    }

    /// <summary>Starts a listener on port 0 of <paramref name="address"/> (IPv4's loopback by default) and waits
    /// for its bind; returns it with the address clients should use.</summary>
    protected async Task<(IActorRef Listener, IPEndPoint Endpoint)> StartListenerAsync(EchoSettings settings,
        IPAddress? address = null)
    {
        var listener = StartListener(settings, new IPEndPoint(address ?? IPAddress.Loopback, 0), ConnectionKind.PlainEcho,
            $"listener-{++_listenerCount}");
        var bound = Assert.IsType<EchoProtocol.BindSucceeded>(await BindResultAsync(listener));
        var endpoint = Assert.IsType<IPEndPoint>(bound.LocalAddress);
        Assert.NotEqual(0, endpoint.Port);
        return (listener, endpoint);
    }

    /// <summary>Starts a listener of <paramref name="kind"/> with a budget of its own, kept for <see cref="BudgetOf"/>.</summary>
    protected IActorRef StartListener(EchoSettings settings, IPEndPoint endpoint, ConnectionKind kind, string name)
    {
        var budget = new EchoBudget(settings.MaxBufferedBytes);
        var listener = Sys.ActorOf(EchoListener.Props(settings, endpoint, kind, budget), name);
        _budgets[listener] = budget;
        return listener;
    }

    protected static Task<EchoProtocol.BindResult> BindResultAsync(IActorRef listener) =>
        listener.Ask<EchoProtocol.BindResult>(EchoProtocol.GetBindResult.Instance, Patience);

    protected static Task<EchoProtocol.ListenerStats> StatsAsync(IActorRef listener) =>
        listener.Ask<EchoProtocol.ListenerStats>(EchoProtocol.GetStats.Instance, Patience);

    /// <summary>The echo budget a listener started here was given (the live object, read as its connections use it).</summary>
    protected EchoBudget BudgetOf(IActorRef listener) => _budgets[listener];

    /// <summary>Waits until the listener's counters satisfy <paramref name="assert"/> (which throws until then).</summary>
    protected Task AwaitStatsAsync(IActorRef listener, Action<EchoProtocol.ListenerStats> assert) =>
        AwaitAssertAsync(async () => assert(await StatsAsync(listener)), Patience, TimeSpan.FromMilliseconds(20));

    /// <summary>The actor serving the listener's <paramref name="number"/>-th accepted connection (children are
    /// named in order of acceptance), watched by the test actor.</summary>
    protected async Task<IActorRef> WatchConnectionActorAsync(IActorRef listener, int number)
    {
        var identity = await Sys.ActorSelection(listener.Path / $"connection-{number}")
            .Ask<ActorIdentity>(new Identify(number), Patience);
        var actor = identity.Subject ?? throw new InvalidOperationException($"listener has no connection-{number}");
        Watch(actor);
        return actor;
    }

    /// <summary>One round trip of <paramref name="length"/> random bytes, checked, the connection left open.</summary>
    protected static Task AssertEchoAsync(LoopbackClient client, int seed, CancellationToken ct, int length = 1000) =>
        client.AssertEchoesAsync(seed, ct, length);
}
