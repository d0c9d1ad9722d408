using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.UdpEcho;
using Akka;
using Akka.Actor;
using Akka.IO;

namespace ActorEcho.Hosting;

/// <summary>
/// Starts the UDP echo inside a running server's actor system and hooks it into the server's CoordinatedShutdown:
/// in <c>service-unbind</c> (while TCP stops accepting) it stops echoing, lets the replies already handed to
/// Akka.IO go out, and releases the socket.
/// </summary>
public static class UdpEchoService
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Resolves <see cref="UdpEchoSettings.BindAddress"/>, binds it (waiting at most
    /// <paramref name="bindTimeout"/> for the answer) and returns the address bound and the listener (which a reload
    /// tells its new settings).</summary>
    /// <exception cref="SettingsException">the address or the akka.io.udp settings are invalid.</exception>
    /// <exception cref="BindFailedException">the address could not be bound (in use, not local, no permission), or
    /// the bind did not answer within <paramref name="bindTimeout"/>.</exception>
    public static async Task<(IPEndPoint Endpoint, IActorRef Listener)> StartAsync(ActorSystem system, UdpEchoSettings settings, TimeSpan bindTimeout)
    {
        var address = settings.BindAddress ?? throw new InvalidOperationException("UDP is off");
        var endpoint = await EndpointParser.ResolveAsync(address).ConfigureAwait(false);
        try
        {
            // As for TCP: a bad akka.io.udp value becomes a one-line error here, not a failing actor later.
            _ = system.Udp();
        }
        catch (Exception e) when (SettingsErrors.IsSettingsError(e))
        {
            throw new SettingsException($"invalid akka.io.udp settings: {OneLine.Of(e.Message)}");
        }

        var listener = system.ActorOf(UdpEchoListener.Props(settings, endpoint), "udp-listener");
        var bound = await ListenerBind.AwaitAsync(listener, UdpEchoProtocol.GetBindResult.Instance, bindTimeout,
            $"udp {EndpointParser.Format(endpoint)}").ConfigureAwait(false);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "udp-drain", async () =>
        {
            await listener.Ask<Done>(UdpEchoProtocol.Drain.Instance, DrainTimeout).ConfigureAwait(false);
            return Done.Instance;
        });
        return (bound, listener);
    }
}
