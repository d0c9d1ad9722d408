using System.Net.Sockets;
using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Networking;

namespace ActorEcho.Bench;

/// <summary>
/// Resolves a user's <c>host:port</c> and opens TCP connections to it, turning the usual failures into
/// <see cref="EchoFailureException"/>s with one-line messages. Shared by <c>client</c> and <c>bench</c>.
/// </summary>
public static class Connector
{
    /// <summary>Parses and resolves <paramref name="address"/>: a malformed address is
    /// <see cref="EchoFailureKind.BadAddress"/>, a name that does not resolve is <see cref="EchoFailureKind.Network"/>.</summary>
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

        // A literal IP cannot fail to resolve, so an error there is about how it was written; a name that
        // does not resolve is a network (DNS) problem, like an unreachable host.
        var isLiteral = IPAddress.TryParse(host, out _);
        try
        {
            return await EndpointParser.ResolveAsync(address, cancellationToken).ConfigureAwait(false);
        }
        catch (SettingsException e)
        {
            throw new EchoFailureException(isLiteral ? EchoFailureKind.BadAddress : EchoFailureKind.Network, e.Message);
        }
    }

    /// <summary>Connects a TCP socket with Nagle off (echo latency matters more than packet count).</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Socket socket;
        try
        {
            socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        }
        catch (SocketException e)
        {
            // Out of file descriptors, most likely: ask for fewer connections or raise `ulimit -n`.
            throw EchoFailureException.Network($"cannot open a socket: {Describe(e)}");
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw EchoFailureException.Network(
                $"cannot connect to {EndpointParser.Format(endpoint)}: timed out after {Describe(timeout)}");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw EchoFailureException.Network($"cannot connect to {EndpointParser.Format(endpoint)}: {Describe(e)}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A short lower-case reason for a socket error, for one-line messages.</summary>
    public static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by the server",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.TimedOut => "timed out",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostNotFound => "unknown host",
        SocketError.AddressNotAvailable => "address not available",
        _ => e.Message,
    };

    public static string Describe(TimeSpan duration) =>
        duration.TotalSeconds >= 1 && duration.Milliseconds == 0
            ? $"{duration.TotalSeconds:0}s"
            : $"{duration.TotalMilliseconds:0}ms";
}
