using System.Net;
using System.Net.Sockets;

namespace ActorEcho.LoadEngine;

/// <summary>
/// The client side's way to an echo server: opens TCP connections to a resolved endpoint, turning the usual
/// failures into <see cref="EchoFailureException"/>s with one-line messages, and words those messages.
/// Shared by <c>client</c> (one connection) and <c>bench</c> (many).
/// </summary>
public static class Dialer
{
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
            throw EchoFailureException.Network($"cannot connect to {Describe(endpoint)}: timed out after {Describe(timeout)}");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw EchoFailureException.Network($"cannot connect to {Describe(endpoint)}: {Describe(e)}");
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

    /// <summary>A duration as the command line takes it: <c>10s</c>, <c>500ms</c>, <c>0</c>.</summary>
    public static string Describe(TimeSpan duration) =>
        duration == TimeSpan.Zero ? "0"
        : duration.TotalSeconds >= 1 && duration.Milliseconds == 0 ? $"{duration.TotalSeconds:0}s"
        : $"{duration.TotalMilliseconds:0}ms";

    /// <summary>An endpoint the way users write it: <c>1.2.3.4:5</c> or <c>[::1]:5</c>, an IPv4-mapped IPv6
    /// address as the IPv4 address it is.</summary>
    public static string Describe(IPEndPoint endpoint) => endpoint.Address.IsIPv4MappedToIPv6
        ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port).ToString()
        : endpoint.ToString();
}
