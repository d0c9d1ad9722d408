using ActorEcho.Diagnostics;
using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// The <c>actor-echo.udp</c> section, read once at start-up: the UDP echo (RFC 862) and the limits that keep it
/// from being a reflector. Every key, its default and why it is safe is documented in <c>akka.hocon</c>.
/// </summary>
public sealed record UdpEchoSettings
{
    public const string SectionName = "actor-echo.udp";

    /// <summary>The largest UDP payload there is (65,535 minus the IPv4 and UDP headers).</summary>
    public const int LargestDatagram = 65_507;

    // Before Off: static fields are initialised in the order they are written, and Off's defaults use these.
    public static readonly string[] DefaultRefusedPortEntries =
        ["0-1023", "1434", "1900", "3283", "3702", "5353", "5683", "10001", "11211", "27015", "27960"];

    private static readonly SourcePortFilter DefaultRefusedPorts = SourcePortFilter.Parse(DefaultRefusedPortEntries);

    /// <summary>UDP off: <c>bind-address = off</c>.</summary>
    public static UdpEchoSettings Off { get; } = new();

    /// <summary>Address to serve UDP on (<c>127.0.0.1:2000</c>, <c>[::1]:0</c>), or <c>null</c> for no UDP.</summary>
    public string? BindAddress { get; init; }

    /// <summary>Larger datagrams are not echoed.</summary>
    public int MaxDatagramSize { get; init; } = 1472;

    /// <summary>Datagrams from these source ports are never echoed.</summary>
    public SourcePortFilter RefusedSourcePorts { get; init; } = DefaultRefusedPorts;

    /// <summary>Per source address: echoes per second (and burst: the bucket holds one second's worth).</summary>
    public int PerSourcePacketsPerSecond { get; init; } = 100;

    /// <summary>Per source address: echoed bytes per second (and burst).</summary>
    public int PerSourceBytesPerSecond { get; init; } = 128 * 1024;

    /// <summary>Source addresses tracked at once.</summary>
    public int MaxSources { get; init; } = 10_000;

    /// <summary>The whole server: echoes per second (and burst).</summary>
    public int GlobalPacketsPerSecond { get; init; } = 10_000;

    /// <summary>The whole server: echoed bytes per second (and burst).</summary>
    public int GlobalBytesPerSecond { get; init; } = 8 * 1024 * 1024;

    /// <summary>Replies handed to Akka.IO and not yet acknowledged; more are dropped.</summary>
    public int MaxRepliesInFlight { get; init; } = 1024;

    /// <summary>Datagrams waiting in the echo actor's mailbox above which new ones are dropped unread.</summary>
    public int MaxPendingDatagrams { get; init; } = 1024;

    /// <summary>SO_RCVBUF of the UDP socket, or <c>null</c> for the kernel's default: room for bursts that arrive
    /// while the echo actor is busy (the kernel drops what does not fit, uncounted by the server).</summary>
    public int? SocketReceiveBufferSize { get; init; }

    /// <summary>At most one log line about drops per this interval.</summary>
    public TimeSpan DropLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reads <c>actor-echo.udp</c> from the whole configuration (it also checks that Akka.IO's UDP
    /// receive buffer, <c>akka.io.udp</c>, is larger than <c>max-datagram-size</c>).</summary>
    /// <exception cref="SettingsException">a key is missing, malformed or out of range.</exception>
    public static UdpEchoSettings Create(Config config)
    {
        var section = SettingsSection.Get(config, SectionName);
        var settings = new UdpEchoSettings
        {
            BindAddress = Read(section, "bind-address", OptionalString),
            MaxDatagramSize = Read(section, "max-datagram-size", (s, k) => ByteSize(s, k, LargestDatagram)),
            RefusedSourcePorts = Read(section, "refused-source-ports", Ports),
            PerSourcePacketsPerSecond = Read(section, "per-source-packets-per-second", PositiveInt),
            PerSourceBytesPerSecond = Read(section, "per-source-bytes-per-second", (s, k) => ByteSize(s, k, int.MaxValue)),
            MaxSources = Read(section, "max-sources", PositiveInt),
            GlobalPacketsPerSecond = Read(section, "global-packets-per-second", PositiveInt),
            GlobalBytesPerSecond = Read(section, "global-bytes-per-second", (s, k) => ByteSize(s, k, int.MaxValue)),
            MaxRepliesInFlight = Read(section, "max-replies-in-flight", PositiveInt),
            MaxPendingDatagrams = Read(section, "max-pending-datagrams", PositiveInt),
            SocketReceiveBufferSize = Read(section, "socket-receive-buffer-size", OptionalByteSize),
            DropLogInterval = Read(section, "drop-log-interval", Duration),
        };
        settings.Validate();
        if (settings.BindAddress is not null)
            CheckAkkaReceiveBuffer(config, settings.MaxDatagramSize);
        return settings;
    }

    /// <summary>The settings with UDP bound to <paramref name="address"/> (the command line's <c>--udp</c>): Akka.IO's
    /// receive buffer is checked as if the address had been in the file.</summary>
    public static UdpEchoSettings WithBindAddress(Config config, UdpEchoSettings settings, string address)
    {
        CheckAkkaReceiveBuffer(config, settings.MaxDatagramSize);
        return settings with { BindAddress = address.Trim() };
    }

    /// <summary>Checks the limits against each other: a bucket that cannot hold one datagram of the largest
    /// size would refuse every such datagram.</summary>
    /// <exception cref="SettingsException">they do not fit.</exception>
    public void Validate()
    {
        if (PerSourceBytesPerSecond < MaxDatagramSize)
            throw new SettingsException(
                $"{SectionName}.per-source-bytes-per-second ({PerSourceBytesPerSecond}) must be at least max-datagram-size ({MaxDatagramSize})");
        if (GlobalBytesPerSecond < MaxDatagramSize)
            throw new SettingsException(
                $"{SectionName}.global-bytes-per-second ({GlobalBytesPerSecond}) must be at least max-datagram-size ({MaxDatagramSize})");
    }

    /// <summary>
    /// Akka.IO 1.5.74 receives each datagram into one buffer of its pool's <c>buffer-size</c> and silently
    /// truncates anything longer (the <c>Received</c> looks like a whole datagram). The echo must never send back
    /// a truncated datagram as if whole, so the buffer must be larger than the largest datagram echoed: a
    /// datagram that fills the buffer exactly is then known to be too large.
    /// </summary>
    private static void CheckAkkaReceiveBuffer(Config config, int maxDatagramSize)
    {
        var poolPath = config.GetString("akka.io.udp.buffer-pool", null);
        if (string.IsNullOrWhiteSpace(poolPath) || !config.HasPath(poolPath + ".buffer-size"))
            throw new SettingsException("akka.io.udp.buffer-pool must name a buffer pool section with a buffer-size");
        long bufferSize;
        try
        {
            bufferSize = config.GetByteSize(poolPath + ".buffer-size") ?? 0;
        }
        catch (Exception e) when (SettingsErrors.IsSettingsError(e))
        {
            throw new SettingsException($"{poolPath}.buffer-size: {OneLine.Of(e.Message)}");
        }
        if (bufferSize <= maxDatagramSize)
            throw new SettingsException(
                $"{poolPath}.buffer-size ({bufferSize}) must be larger than {SectionName}.max-datagram-size ({maxDatagramSize}): " +
                "Akka.IO truncates longer datagrams silently, and a truncated datagram must not be echoed as if whole");
    }

    /// <summary>Reads one key of this section, which must be there (<see cref="SettingsSection.Read{T}"/>).</summary>
    private static T Read<T>(Config section, string key, Func<Config, string, T> read)
    {
        SettingsSection.Require(SectionName, section, key);
        return SettingsSection.Read(SectionName, section, key, read);
    }

    private static string? OptionalString(Config section, string key) => SettingsSection.OptionalString(section, key);

    private static int PositiveInt(Config section, string key) => SettingsSection.PositiveInt(SectionName, section, key);

    private static int ByteSize(Config section, string key, int max)
    {
        var value = section.GetByteSize(key);
        if (value is null or < 1 || value > max)
            throw new SettingsException($"{SectionName}.{key} must be a size from 1 byte to {max} bytes, got '{section.GetString(key)}'");
        return (int)value.Value;
    }

    private static int? OptionalByteSize(Config section, string key) =>
        OptionalString(section, key) is null ? null : ByteSize(section, key, int.MaxValue);

    private static TimeSpan Duration(Config section, string key) => SettingsSection.Duration(SectionName, section, key);

    private static SourcePortFilter Ports(Config section, string key) =>
        SourcePortFilter.Parse(section.GetStringList(key));
}
