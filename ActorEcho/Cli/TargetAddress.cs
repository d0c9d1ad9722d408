using System.Net;
using ActorEcho.Configuration;
using ActorEcho.LoadEngine;

namespace ActorEcho.Cli;

/// <summary>The echo server that <c>client</c> and <c>bench</c> talk to, as the user wrote it: parsed once,
/// then resolved. Errors are <see cref="EchoFailureException"/>s that say whose fault they are.</summary>
internal static class TargetAddress
{
    /// <summary>A malformed address is <see cref="EchoFailureKind.BadAddress"/> (nothing was sent on the
    /// network); a name that does not resolve is <see cref="EchoFailureKind.Network"/>, like an unreachable host.</summary>
    public static async Task<IPEndPoint> ResolveAsync(string address, CancellationToken cancellationToken = default)
    {
        string host;
        int port;
        try
        {
            (host, port) = EndpointParser.Split(address);
        }
        catch (SettingsException e)
        {
            throw new EchoFailureException(EchoFailureKind.BadAddress, e.Message);
        }
        if (port == 0)
            throw new EchoFailureException(EchoFailureKind.BadAddress, $"invalid address '{address.Trim()}': port 0 cannot be connected to");

        try
        {
            return await EndpointParser.ResolveAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SettingsException e)
        {
            throw EchoFailureException.Network(e.Message);
        }
    }
}
