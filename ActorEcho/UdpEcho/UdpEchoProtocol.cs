using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Networking;

namespace ActorEcho.UdpEcho;

/// <summary>
/// The UDP echo's messages: what the host asks the <see cref="UdpEchoListener"/>, and its answers. All immutable.
/// What the listener tells itself (a reply's acknowledgement from Akka.IO, the backlog probe) stays private in it.
/// </summary>
public static class UdpEchoProtocol
{
    /// <summary>Asks for the outcome of the bind; answered with <see cref="BindSucceeded"/> or <see cref="BindFailed"/>.</summary>
    public sealed class GetBindResult
    {
        public static readonly GetBindResult Instance = new();
        private GetBindResult() { }
    }

    /// <summary>The outcome of the bind, the answer to <see cref="GetBindResult"/>.</summary>
    public abstract record BindResult : IBindResult
    {
        IPEndPoint? IBindResult.Bound => (this as BindSucceeded)?.LocalAddress;
        string? IBindResult.FailureReason => (this as BindFailed)?.Reason;
    }

    public sealed record BindSucceeded(IPEndPoint LocalAddress) : BindResult;

    public sealed record BindFailed(string Reason) : BindResult;

    /// <summary>Shutdown: echo nothing more, let the replies already handed to Akka.IO go out, then release the
    /// socket. Answered with <see cref="Akka.Done"/> once it is released.</summary>
    public sealed class Drain
    {
        public static readonly Drain Instance = new();
        private Drain() { }
    }

    /// <summary>A reload (SIGHUP): echo under <paramref name="Settings"/>' limits from now on (rates, source table, refused
    /// ports, backlogs, drop log); the socket's own settings are the ones in force already (the host keeps them).
    /// The rate buckets start full at the new rates. Answered with <see cref="Akka.Done"/>.</summary>
    public sealed record ChangeSettings(UdpEchoSettings Settings);

    /// <summary>Asks for a snapshot of the counters; answered with <see cref="UdpStats"/>.</summary>
    public sealed class GetStats
    {
        public static readonly GetStats Instance = new();
        private GetStats() { }
    }

    public sealed record UdpStats(long Received, long Echoed, long EchoedBytes, int InFlight, int Sources,
        IReadOnlyDictionary<string, long> Dropped)
    {
        public long DroppedFor(string reason) => Dropped.GetValueOrDefault(reason);
        public long DroppedTotal => Dropped.Values.Sum();
    }
}
