using ActorEcho.Configuration;

namespace ActorEcho.Hosting;

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
