using ActorEcho.Diagnostics;
using ActorEcho.Networking;
using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// The <c>actor-echo</c> section of the configuration, read once at start-up. Every key, its default and why it
/// exists is documented in <c>akka.hocon</c>; this record only gives them types and checks their ranges.
/// </summary>
public sealed record EchoSettings
{
    public const string SectionName = "actor-echo";

    /// <summary>Address to listen on, as written by the user: <c>127.0.0.1:2000</c>, <c>[::]:2000</c>, <c>localhost:0</c>.
    /// Only the host reads it (it resolves it into the endpoint the listener gets), so the actors' specs leave it
    /// at its default.</summary>
    public string BindAddress { get; init; } = "127.0.0.1:2000";

    /// <summary>Length of the kernel's queue of connections not yet accepted (per accept queue); by default
    /// (<c>backlog = max</c>) the largest the OS allows, <see cref="ListenBacklog.OsMaximum"/>.</summary>
    public int Backlog { get; init; } = ListenBacklog.OsMaximum();

    /// <summary>Listening sockets bound to the address with SO_REUSEPORT, each its own kernel accept queue and
    /// Akka.IO accept loop, for reconnect storms. 1: one ordinary listening socket.</summary>
    public int AcceptQueues { get; init; } = 1;

    /// <summary>Whether socket completions run on .NET's socket event thread rather than the thread pool
    /// (<see cref="InlineSocketCompletions"/>).</summary>
    public bool InlineSocketCompletions { get; init; } = true;

    /// <summary>Connections served at once; a client over the limit is closed straight away.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Descriptors kept for the runtime when the open-file limit bounds the connections
    /// (<see cref="DescriptorBound"/>); <c>null</c>: <c>auto</c>, what is open at start plus a margin.</summary>
    public int? DescriptorReserve { get; init; }

    /// <summary>The open-file limit's bound, computed by the host before the listeners are made (not a key); its
    /// connection limits are the ones the listeners use. <c>null</c>: not computed (not Linux, or an actor spec).</summary>
    public DescriptorBound? Descriptors { get; init; }

    /// <summary>A connection with no traffic either way for this long is closed; <c>null</c> means never.</summary>
    public TimeSpan? IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a connection may live from its accept before it is finished and closed
    /// (<c>duration-limit</c>); <c>null</c>: no limit.</summary>
    public TimeSpan? MaxConnectionDuration { get; init; }

    /// <summary>Client bytes a connection echoes before it is finished and closed (<c>byte-limit</c>); <c>null</c>:
    /// no limit.</summary>
    public long? MaxBytesPerConnection { get; init; }

    /// <summary>Un-acknowledged echo bytes above which the connection stops reading from its client.</summary>
    public int WriteHighWatermark { get; init; } = 128 * 1024;

    /// <summary>Un-acknowledged echo bytes below which a paused connection reads again.</summary>
    public int WriteLowWatermark { get; init; } = 32 * 1024;

    /// <summary>Echo bytes the whole server may hold (read, not yet acknowledged) before connections that hold
    /// some stop reading (<c>EchoBudget</c>). <c>auto</c>: <see cref="MemoryBound.AutoBudget"/>.</summary>
    public long MaxBufferedBytes { get; init; } = MemoryBound.AutoBudget();

    /// <summary>How long shutdown waits for connections to finish echoing before aborting the rest.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>During a drain, how long a connection must go without receiving anything (its echo complete)
    /// before it counts as quiet and gets its FIN; a connection still receiving is served meanwhile.</summary>
    public TimeSpan DrainQuiet { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a drained connection, its echo complete and its FIN sent, waits for the client's FIN
    /// before it is reset.</summary>
    public TimeSpan DrainLinger { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>SO_RCVBUF for accepted sockets, or <c>null</c> to keep the kernel's (auto-tuned) default.</summary>
    public int? SocketReceiveBufferSize { get; init; }

    /// <summary>SO_SNDBUF for accepted sockets, or <c>null</c> to keep the kernel's (auto-tuned) default.</summary>
    public int? SocketSendBufferSize { get; init; }

    /// <summary>Where the optional HTTP endpoint (<c>/metrics</c>, <c>/ready</c>, <c>/live</c>) listens
    /// (<c>http://host:port</c>), or <c>null</c> for none (<c>actor-echo.http-endpoint = off</c>).</summary>
    public Uri? HttpEndpoint { get; init; }

    /// <summary>How long shutdown keeps serving, reporting not ready, before it drains; <c>null</c>: no lame duck.</summary>
    public TimeSpan? LameDuck { get; init; }

    /// <summary>Whether the listening socket sets SO_REUSEPORT, so that several may share the address (Linux).</summary>
    public bool ReusePort { get; init; }

    /// <summary>How the log is written on stderr: text lines, or one JSON object per line.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>The UDP echo (<c>actor-echo.udp</c>); off unless <c>udp.bind-address</c> is set.</summary>
    public UdpEchoSettings Udp { get; init; } = UdpEchoSettings.Off;

    /// <summary>The PROXY protocol, per-source limits, allow and deny lists, the access log (docs/edge.md).</summary>
    public EdgeSettings Edge { get; init; } = EdgeSettings.Off;

    /// <summary>The TLS listener (<c>actor-echo.tls</c>); off unless <c>tls.bind-address</c> is set.</summary>
    public TlsSettings Tls { get; init; } = TlsSettings.Off;

    /// <summary>Reads the <c>actor-echo</c> section of <paramref name="config"/>.</summary>
    /// <exception cref="SettingsException">a key is missing, malformed or out of range.</exception>
    public static EchoSettings Create(Config config)
    {
        var section = SettingsSection.Get(config, SectionName);

        var settings = new EchoSettings
        {
            BindAddress = Read(section, "bind-address", RequireString),
            Backlog = Read(section, "backlog", BacklogOrMax),
            AcceptQueues = Read(section, "accept-queues", PositiveInt),
            InlineSocketCompletions = Read(section, "inline-socket-completions", Boolean),
            MaxConnections = Read(section, "max-connections", PositiveInt),
            DescriptorReserve = Read(section, "descriptor-reserve", ReserveOrAuto),
            IdleTimeout = Read(section, "idle-timeout", OptionalDuration),
            MaxConnectionDuration = Read(section, "max-connection-duration", OptionalDuration),
            MaxBytesPerConnection = Read(section, "max-bytes-per-connection", OptionalLongByteSize),
            WriteHighWatermark = Read(section, "write-high-watermark", ByteSize),
            WriteLowWatermark = Read(section, "write-low-watermark", ByteSize),
            MaxBufferedBytes = Read(section, "max-buffered-bytes", BudgetOrAuto),
            DrainTimeout = Read(section, "drain-timeout", Duration),
            DrainLinger = Read(section, "drain-linger", Duration),
            DrainQuiet = Read(section, "drain-quiet", Duration),
            SocketReceiveBufferSize = Read(section, "socket-receive-buffer-size", OptionalByteSize),
            SocketSendBufferSize = Read(section, "socket-send-buffer-size", OptionalByteSize),
            HttpEndpoint = Read(section, "http-endpoint", OptionalHttpRoot),
            LameDuck = Read(section, "lame-duck", OptionalDuration),
            ReusePort = Read(section, "reuse-port", Boolean),
            LogFormat = Read(section, "log-format", LogFormatOf),
            Udp = UdpEchoSettings.Create(config),
            Edge = EdgeSettings.Create(section),
            Tls = TlsSettings.Create(config),
        };
        if (settings.AcceptQueues > 1 && !OperatingSystem.IsLinux())
            throw new SettingsException($"{SectionName}.accept-queues above 1 needs SO_REUSEPORT's load balancing, on Linux only");
        if (settings.ReusePort && !OperatingSystem.IsLinux())
            throw new SettingsException($"{SectionName}.reuse-port = on is supported on Linux only");
        if (settings.WriteLowWatermark >= settings.WriteHighWatermark)
            throw new SettingsException(
                $"{SectionName}.write-low-watermark ({settings.WriteLowWatermark}) must be below write-high-watermark ({settings.WriteHighWatermark})");
        return settings;
    }

    /// <summary>Reads one key of this section (<see cref="SettingsSection.Read{T}"/>).</summary>
    internal static T Read<T>(Config section, string key, Func<Config, string, T> read) =>
        SettingsSection.Read(SectionName, section, key, read);

    private static string RequireString(Config section, string key)
    {
        var value = section.GetString(key, null);
        if (string.IsNullOrWhiteSpace(value))
            throw new SettingsException($"{SectionName}.{key} is missing or empty");
        return value.Trim();
    }

    internal static int PositiveInt(Config section, string key) => SettingsSection.PositiveInt(SectionName, section, key);

    /// <summary><c>max</c>: the OS's largest backlog; otherwise a positive integer.</summary>
    private static int BacklogOrMax(Config section, string key)
    {
        Require(section, key);
        return string.Equals(section.GetString(key)?.Trim(), "max", StringComparison.OrdinalIgnoreCase)
            ? ListenBacklog.OsMaximum()
            : PositiveInt(section, key);
    }

    /// <summary><c>auto</c>: a share of the memory the process may use (<see cref="MemoryBound.AutoBudget"/>);
    /// otherwise a positive size.</summary>
    private static long BudgetOrAuto(Config section, string key)
    {
        Require(section, key);
        if (string.Equals(section.GetString(key)?.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
            return MemoryBound.AutoBudget();
        var value = section.GetByteSize(key);
        if (value is null or < 1)
            throw new SettingsException($"{SectionName}.{key} must be 'auto' or a positive size such as '64 MiB', got '{section.GetString(key)}'");
        return value.Value;
    }

    /// <summary><c>auto</c>: measured at start (<see cref="DescriptorBound.AutoReserveMargin"/>); otherwise a
    /// positive integer.</summary>
    private static int? ReserveOrAuto(Config section, string key)
    {
        Require(section, key);
        return string.Equals(section.GetString(key)?.Trim(), "auto", StringComparison.OrdinalIgnoreCase)
            ? null
            : PositiveInt(section, key);
    }

    internal static TimeSpan Duration(Config section, string key) => SettingsSection.Duration(SectionName, section, key);

    private static TimeSpan? OptionalDuration(Config section, string key) =>
        IsOff(section, key) ? null : Duration(section, key);

    private static int ByteSize(Config section, string key)
    {
        Require(section, key);
        var value = section.GetByteSize(key);
        if (value is null or < 1 or > int.MaxValue)
            throw new SettingsException($"{SectionName}.{key} must be a positive size such as '64 KiB', got '{section.GetString(key)}'");
        return (int)value.Value;
    }

    private static long? OptionalLongByteSize(Config section, string key)
    {
        if (IsOff(section, key))
            return null;
        var value = section.GetByteSize(key);
        if (value is null or < 1)
            throw new SettingsException($"{SectionName}.{key} must be 'off' or a positive size such as '1 GiB', got '{section.GetString(key)}'");
        return value.Value;
    }

    private static int? OptionalByteSize(Config section, string key) =>
        IsOff(section, key) ? null : ByteSize(section, key);

    private static LogFormat LogFormatOf(Config section, string key) => section.GetString(key)?.Trim() switch
    {
        "text" => LogFormat.Text,
        "json" => LogFormat.Json,
        var other => throw new SettingsException($"{SectionName}.{key} must be 'text' or 'json', got '{other}'"),
    };

    /// <summary>The HTTP endpoint: <c>off</c>, or <c>http://</c> with an IP address or <c>localhost</c> and a port,
    /// and no path (its paths are fixed: /metrics, /ready, /live, /connections, /sources).</summary>
    private static Uri? OptionalHttpRoot(Config section, string key)
    {
        if (IsOff(section, key))
            return null;
        var raw = section.GetString(key).Trim();
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp
            || url.AbsolutePath != "/" || url.Query.Length > 0 || url.Fragment.Length > 0 || url.UserInfo.Length > 0
            || !(url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
                 || string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase)))
            throw new SettingsException(
                $"{SectionName}.{key} must be 'off' or a URL such as 'http://127.0.0.1:9464' (an IP address or localhost, a port, no path), got '{raw}'");
        return url;
    }

    internal static bool Boolean(Config section, string key)
    {
        Require(section, key);
        return section.GetBoolean(key);
    }

    internal static bool IsOff(Config section, string key)
    {
        Require(section, key);
        var raw = section.GetString(key)?.Trim();
        return string.Equals(raw, "off", StringComparison.OrdinalIgnoreCase)
               || string.Equals(raw, "false", StringComparison.OrdinalIgnoreCase);
    }

    internal static void Require(Config section, string key) => SettingsSection.Require(SectionName, section, key);
}
