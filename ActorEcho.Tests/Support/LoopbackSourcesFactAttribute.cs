using System.Net;
using System.Net.Sockets;

namespace ActorEcho.Tests.Support;

/// <summary>A fact that needs clients on distinct loopback sources (127.0.0.2 to 127.0.0.5: Linux routes all of
/// 127/8 to lo); skipped, with the reason shown, where those cannot be bound (macOS and Windows have only
/// 127.0.0.1 unless configured).</summary>
public sealed class LoopbackSourcesFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why distinct loopback sources cannot be used here, or null if they can.</summary>
    internal static string? UnavailableReason => Unavailable.Value;

    public LoopbackSourcesFactAttribute()
    {
        if (Unavailable.Value is { } reason)
            Skip = reason;
    }

    private static string? Probe()
    {
        try
        {
            for (var last = 2; last <= 5; last++)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{last}"), 0));
            }
            return null;
        }
        catch (SocketException e)
        {
            return $"cannot bind a client to 127.0.0.2-5 (only Linux routes all of 127/8 to lo): {e.Message}";
        }
    }
}
