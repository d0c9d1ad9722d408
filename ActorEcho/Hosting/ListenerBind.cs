using System.Net;
using ActorEcho.Networking;
using Akka.Actor;

namespace ActorEcho.Hosting;

/// <summary>
/// How the host waits for every listener's bind, TCP, TLS and UDP alike: the listener's answer
/// (<see cref="IBindResult"/>) within the bind timeout. A failed bind, or no answer in time, is a
/// <see cref="BindFailedException"/>, which the serve command reports as one line and exit code 3.
/// </summary>
internal static class ListenerBind
{
    /// <summary>Asks <paramref name="listener"/> <paramref name="question"/> (its GetBindResult) and returns where it
    /// listens.</summary>
    /// <param name="address">The address asked for, as the user reads it (<c>udp 127.0.0.1:2000</c>).</param>
    /// <param name="prefix">Names the listener in front of every message (<c>tls: </c>); empty for the main one.</param>
    /// <exception cref="BindFailedException">the bind failed, or no answer came within <paramref name="timeout"/>.</exception>
    public static async Task<IPEndPoint> AwaitAsync(IActorRef listener, object question, TimeSpan timeout,
        string address, string prefix = "")
    {
        IBindResult result;
        try
        {
            result = await listener.Ask<IBindResult>(question, timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new BindFailedException($"{prefix}cannot listen on {address}: no answer within {timeout.TotalSeconds:0} s");
        }
        return result.Bound
               ?? throw new BindFailedException(prefix + (result.FailureReason ?? $"cannot listen on {address}"));
    }
}
