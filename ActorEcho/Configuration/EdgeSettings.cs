using Akka.Configuration;

namespace ActorEcho.Configuration;

/// <summary>
/// The settings for a server behind a balancer or on a public address (documented in akka.hocon and docs/edge.md):
/// the PROXY protocol, per-source limits, allow and deny lists, the access log. Read from the
/// <c>actor-echo</c> section by <see cref="EchoSettings.Create"/>.
/// </summary>
public sealed record EdgeSettings
{
    /// <summary>Everything off: the settings of a server that predates them.</summary>
    public static readonly EdgeSettings Off = new();

    public ProxyProtocolMode ProxyProtocol { get; init; } = ProxyProtocolMode.Off;

    /// <summary>Peers allowed to send a PROXY header; every other peer is closed at once when the mode is not off.</summary>
    public AddressList TrustedSources { get; init; } = AddressList.Empty;

    /// <summary>How long a trusted peer has to send its complete header.</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Open connections per source; null: no limit.</summary>
    public int? PerSourceMaxConnections { get; init; }

    /// <summary>New connections per second per source (burst: one second's worth); null: no limit.</summary>
    public int? PerSourceConnectRate { get; init; }

    /// <summary>Sources tracked at once for the two limits above.</summary>
    public int MaxSources { get; init; } = 10_000;

    /// <summary>Sources served; empty: everyone (but <see cref="Deny"/>).</summary>
    public AddressList Allow { get; init; } = AddressList.Empty;

    /// <summary>Sources refused, even when <see cref="Allow"/> lists them.</summary>
    public AddressList Deny { get; init; } = AddressList.Empty;

    /// <summary>One INFO line per ended connection.</summary>
    public bool AccessLog { get; init; }

    /// <summary>Whether per-source counting is needed at all (the listener keeps no table otherwise).</summary>
    public bool LimitsPerSource => PerSourceMaxConnections is not null || PerSourceConnectRate is not null;

    /// <summary>Reads the keys from the <c>actor-echo</c> section.</summary>
    /// <exception cref="SettingsException">a key is missing, malformed or out of range, or the PROXY protocol is
    /// on with no trusted source.</exception>
    internal static EdgeSettings Create(Config section)
    {
        var settings = new EdgeSettings
        {
            ProxyProtocol = EchoSettings.Read(section, "proxy-protocol.mode", Mode),
            TrustedSources = EchoSettings.Read(section, "proxy-protocol.trusted-sources", Addresses),
            HeaderTimeout = EchoSettings.Read(section, "proxy-protocol.header-timeout", EchoSettings.Duration),
            PerSourceMaxConnections = EchoSettings.Read(section, "per-source.max-connections", OptionalPositiveInt),
            PerSourceConnectRate = EchoSettings.Read(section, "per-source.connect-rate", OptionalPositiveInt),
            MaxSources = EchoSettings.Read(section, "per-source.max-sources", EchoSettings.PositiveInt),
            Allow = EchoSettings.Read(section, "allow", Addresses),
            Deny = EchoSettings.Read(section, "deny", Addresses),
            AccessLog = EchoSettings.Read(section, "access-log", EchoSettings.Boolean),
        };
        if (settings.ProxyProtocol != ProxyProtocolMode.Off && settings.TrustedSources.IsEmpty)
            throw new SettingsException(
                $"{EchoSettings.SectionName}.proxy-protocol.trusted-sources must list the balancers' addresses (CIDRs) when proxy-protocol.mode is {section.GetString("proxy-protocol.mode").Trim()}");
        return settings;
    }

    private static ProxyProtocolMode Mode(Config section, string key)
    {
        EchoSettings.Require(section, key);
        var raw = section.GetString(key)?.Trim().ToLowerInvariant();
        return raw switch
        {
            "off" or "false" => ProxyProtocolMode.Off,
            "v1" => ProxyProtocolMode.V1,
            "v2" => ProxyProtocolMode.V2,
            "any" => ProxyProtocolMode.Any,
            _ => throw new SettingsException($"{EchoSettings.SectionName}.{key} must be off, v1, v2 or any, got '{raw}'"),
        };
    }

    private static int? OptionalPositiveInt(Config section, string key) =>
        EchoSettings.IsOff(section, key) ? null : EchoSettings.PositiveInt(section, key);

    private static AddressList Addresses(Config section, string key)
    {
        EchoSettings.Require(section, key);
        try
        {
            return AddressList.Parse(section.GetStringList(key));
        }
        catch (FormatException e)
        {
            throw new SettingsException($"{EchoSettings.SectionName}.{key}: {e.Message}");
        }
    }
}
