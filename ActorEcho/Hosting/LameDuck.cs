using ActorEcho.Configuration;
using ActorEcho.Networking;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace ActorEcho.Hosting;

/// <summary>
/// The first step of shutdown, before the listener stops accepting: readiness turns "not ready" at once, and for
/// <c>actor-echo.lame-duck</c> the server goes on accepting and serving normally, so that a balancer's health check
/// (HAProxy's <c>option httpchk GET /ready</c>, a Kubernetes readiness probe) moves new clients away before the
/// drain turns anyone away. It runs as a CoordinatedShutdown task in <c>before-service-unbind</c>, the phase
/// before <c>service-unbind</c> (where accepting stops), whose timeout is raised to fit.
/// </summary>
public static class LameDuck
{
    public const string TaskName = "lame-duck";

    /// <summary>Room left in the phase beyond the lame duck itself, so that the phase never times out first.</summary>
    private static readonly TimeSpan PhaseMargin = TimeSpan.FromSeconds(5);

    /// <summary>CoordinatedShutdown settings that give <c>before-service-unbind</c> time for the lame duck.</summary>
    public static Config ShutdownConfig(EchoSettings settings) => settings.LameDuck is { } period
        ? ConfigurationFactory.ParseString(
            $"akka.coordinated-shutdown.phases.before-service-unbind.timeout = {(long)(period + PhaseMargin).TotalMilliseconds}ms")
        : Config.Empty;

    /// <summary>Adds the lame-duck task to <paramref name="system"/>'s CoordinatedShutdown: it marks
    /// <paramref name="readiness"/> shutting down, then waits <paramref name="period"/> (if any).</summary>
    public static void Register(ActorSystem system, ServerReadiness readiness, TimeSpan? period)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, TaskName, async () =>
        {
            readiness.MarkShuttingDown();
            // A server whose listening socket failed serves nobody: waiting would only delay its exit.
            if (period is { } wait && shutdown.ShutdownReason is not ListeningSocketLost)
            {
                system.Log.Info("Lame duck: reporting not ready, still serving for {0} before draining", wait);
                await Task.Delay(wait).ConfigureAwait(false);
            }
            return Done.Instance;
        });
    }
}
