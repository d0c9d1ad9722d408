namespace ActorEcho.Configuration;

/// <summary>
/// What the settings can open, against the process's limit on open file descriptors, and the connection limits
/// that fit: computed once by the host before the listeners are made, logged on the start-up bound line
/// (<c>MemoryBound</c>'s), and carried to the listeners as their effective max-connections. A client over that
/// limit is refused (closed at once) before the process runs out of descriptors, which Akka.IO's accept loop only
/// retries (docs/code-notes.md, "Running out of file descriptors").
/// </summary>
/// <remarks>
/// Measured (docs/code-notes.md): every TCP or TLS connection holds exactly one descriptor (1,000 idle TCP clients
/// and 100 TLS ones: +1,100); the runtime holds 2 per loaded assembly, pipes and epoll: 171 for a plain server
/// listening with no client (Debug and Release alike), 222 with TLS, UDP and the HTTP endpoint on, 240 once each
/// has served a client (the first TLS handshake and the first scrape load more assemblies).
/// </remarks>
/// <param name="Limit">The soft RLIMIT_NOFILE the process runs with.</param>
/// <param name="Reserve">For the runtime: <c>descriptor-reserve</c>, or with <c>auto</c> what is open when the
/// bound is computed plus <see cref="AutoReserveMargin"/>.</param>
/// <param name="Fixed">The listening sockets (accept-queues per listener, Kestrel's), the UDP socket and
/// <see cref="HttpConnectionAllowance"/> when the HTTP endpoint is on.</param>
/// <param name="TcpMaxConnections">The TCP listener's effective max-connections.</param>
/// <param name="TlsMaxConnections">The TLS listener's, 0 when TLS is off.</param>
/// <param name="Lowered">The settings asked for more than the limit allows.</param>
public sealed record DescriptorBound(long Limit, int Reserve, int Fixed, int TcpMaxConnections, int TlsMaxConnections,
    bool Lowered)
{
    /// <summary>Kestrel's connections when the HTTP endpoint is on (its MaxConcurrentConnections is set to this):
    /// scrapes and probes, a handful at a time.</summary>
    public const int HttpConnectionAllowance = 64;

    /// <summary>What <c>descriptor-reserve = auto</c> adds to what is open at start: the assemblies loaded later
    /// (+14 at the first TLS handshake, +4 at the first scrape, measured), Akka.IO's accepts in flight
    /// (batch-accept-limit, 2 x cores) and refused clients not yet closed.</summary>
    public const int AutoReserveMargin = 32;

    /// <summary>Each listener must have room for at least this many connections, or the server does not start.</summary>
    public const int MinimumConnections = 8;

    /// <summary>What the runtime holds once listening, estimated before it starts (measured: 171 plain, 222 with
    /// TLS, UDP and the HTTP endpoint), so that a limit the runtime alone would exhaust is refused at once: the runtime
    /// cannot even start its threads without descriptors (each new thread opens a pipe; docs/code-notes.md).</summary>
    public static int RuntimeEstimate(EchoSettings settings) =>
        176 + (settings.Tls.IsOn || settings.HttpEndpoint is not null ? 56 : 0);

    /// <summary>Descriptors the settings can hold at most.</summary>
    public long UsedAtMost => (long)Reserve + Fixed + TcpMaxConnections + TlsMaxConnections;

    /// <summary>The bound for <paramref name="settings"/> under <paramref name="limit"/>, with max-connections lowered
    /// to fit (in proportion when both TCP and TLS are on: each counts max-connections of its own).</summary>
    /// <param name="reserve">The runtime's share (see <see cref="Reserve"/>).</param>
    /// <exception cref="SettingsException">the limit leaves a listener fewer than <see cref="MinimumConnections"/>.</exception>
    public static DescriptorBound For(EchoSettings settings, long limit, int reserve)
    {
        var tlsOn = settings.Tls.IsOn;
        var listening = settings.AcceptQueues * (tlsOn ? 2 : 1) + (settings.HttpEndpoint is null ? 0 : 1);
        var fixedCount = listening + (settings.Udp.BindAddress is null ? 0 : 1)
                         + (settings.HttpEndpoint is null ? 0 : HttpConnectionAllowance);
        var requested = (long)settings.MaxConnections * (tlsOn ? 2 : 1);
        var room = limit - reserve - fixedCount;
        if (room >= requested)
            return new(limit, reserve, fixedCount, settings.MaxConnections, tlsOn ? settings.MaxConnections : 0, false);
        // Both listeners count the one max-connections key, so proportion is an even split.
        var tcp = tlsOn ? room / 2 : room;
        var tls = tlsOn ? room - tcp : 0;
        if (tcp < MinimumConnections || (tlsOn && tls < MinimumConnections))
            throw new SettingsException(
                $"the open-file limit {limit} leaves room for {Math.Max(0, room)} connection(s) (reserve {reserve}, listening sockets and fixed {fixedCount}): " +
                $"raise it (ulimit -n, LimitNOFILE=) to at least {reserve + fixedCount + MinimumConnections * (tlsOn ? 2 : 1)}, or lower {EchoSettings.SectionName}.descriptor-reserve");
        return new(limit, reserve, fixedCount, (int)tcp, (int)tls, true);
    }

    /// <summary>The bound line's part: <c>descriptors: limit 256, used at most 256 (reserve 203 + fixed 1 + connections 52)</c>.</summary>
    public string Describe() =>
        $"descriptors: limit {Limit}, used at most {UsedAtMost} (reserve {Reserve} + listening and fixed {Fixed} + connections {TcpMaxConnections}{(TlsMaxConnections > 0 ? $" + tls {TlsMaxConnections}" : "")})";

    /// <summary>The one warning when the limits were lowered, naming the keys, the limit and the values used.</summary>
    public string LoweredWarning(EchoSettings settings) =>
        $"Descriptors: {EchoSettings.SectionName}.max-connections = {settings.MaxConnections}{(settings.Tls.IsOn ? " (TCP and TLS each)" : "")} needs more than the open-file limit {Limit} allows " +
        $"(reserve {Reserve}, listening and fixed {Fixed}): serving at most {TcpMaxConnections} TCP{(settings.Tls.IsOn ? $" and {TlsMaxConnections} TLS" : "")} connection(s); " +
        $"clients over that are refused. Raise the limit (ulimit -n, LimitNOFILE=) to at least {Reserve + Fixed + (long)settings.MaxConnections * (settings.Tls.IsOn ? 2 : 1)} to serve max-connections";
}
