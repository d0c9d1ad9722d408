using System.Net;
using ActorEcho.Edge;

namespace ActorEcho.TcpEcho;

/// <summary>
/// How a connection that read a PROXY header gets its real client past the listener's checks (per-source limits,
/// allow and deny). The listener decides because it owns the per-source counts: it sees every accept and every
/// connection's end in one mailbox, so a count can never race with the close that lowers it, and the table stays
/// one plain dictionary. The connection actor only reports what the header said and waits (reading nothing more,
/// holding at most the rest of the read that ended the header) for the answer.
/// </summary>
public static class Admission
{
    /// <summary>Connection actor → listener: the header is read; <paramref name="Client"/> is the address it gave
    /// (or the socket's own, for LOCAL and UNKNOWN), <paramref name="Balancer"/> the socket's peer.</summary>
    public sealed record Request(IPEndPoint Client, IPEndPoint Balancer);

    /// <summary>Listener → connection actor: serve the client.</summary>
    public sealed class Granted
    {
        public static readonly Granted Instance = new();
        private Granted() { }
    }

    /// <summary>Listener → connection actor: close at once, nothing echoed. <paramref name="Reason"/> is a
    /// <see cref="Refusal"/>.</summary>
    public sealed record Refused(string Reason);
}
