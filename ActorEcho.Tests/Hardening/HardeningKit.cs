using System.Net;
using ActorEcho.Actors;
using ActorEcho.Configuration;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Hardening;

/// <summary>
/// Base of the hardening specs: an actor system configured like the shipped server (the embedded
/// <c>akka.hocon</c>) that hosts real <see cref="EchoListener"/>s on 127.0.0.1, port 0, and helpers to reach
/// their connection actors and counters.
/// </summary>
public abstract class HardeningKit(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(QuietConfig.WithFallback(ConfigLoader.Defaults), output: output)
{
    /// <summary>Upper bound for any single wait in these specs; a healthy run needs a small fraction of it.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    // Failures and rejections are expected here; warnings would only bury the assertion that failed.
    private static readonly Config QuietConfig = ConfigurationFactory.ParseString("akka.loglevel = ERROR");

    private int _listenerCount;

    /// <summary>The shipped settings on a free loopback port, with the spec's changes.</summary>
    protected static EchoSettings Settings(Func<EchoSettings, EchoSettings>? change = null)
    {
        var settings = EchoSettings.Create(ConfigLoader.Defaults) with { BindAddress = "127.0.0.1:0" };
        return change is null ? settings : change(settings);
    }

    /// <summary>Starts a listener and waits for its bind; returns it with the address clients should use.</summary>
    protected async Task<(IActorRef Listener, IPEndPoint Endpoint)> StartListenerAsync(EchoSettings settings)
    {
        var listener = Sys.ActorOf(EchoListener.Props(settings, new IPEndPoint(IPAddress.Loopback, 0)),
            $"listener-{++_listenerCount}");
        var result = await listener.Ask<object>(EchoListener.GetBindResult.Instance, Patience);
        var bound = Assert.IsType<EchoListener.BindSucceeded>(result);
        return (listener, (IPEndPoint)bound.LocalAddress);
    }

    protected static Task<EchoListener.ListenerStats> StatsAsync(IActorRef listener) =>
        listener.Ask<EchoListener.ListenerStats>(EchoListener.GetStats.Instance, Patience);

    /// <summary>Waits until the listener's counters satisfy <paramref name="assert"/> (which throws until then).</summary>
    protected Task AwaitStatsAsync(IActorRef listener, Action<EchoListener.ListenerStats> assert) =>
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

    /// <summary>A token that cancels every socket operation of a spec that overruns its budget.</summary>
    protected static CancellationToken Deadline(TimeSpan budget) => new CancellationTokenSource(budget).Token;
}
