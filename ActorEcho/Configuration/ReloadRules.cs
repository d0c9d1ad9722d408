using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace ActorEcho.Configuration;

/// <summary>
/// What a reload (SIGHUP) may change: the leaf keys that differ between two loaded configurations, which of them
/// need a restart, and the settings then in force. Everything under <c>actor-echo</c> reloads but the keys below;
/// under <c>akka</c> only <c>akka.loglevel</c> does (the actor system, Akka.IO's frame and buffer sizes and the
/// dispatcher are made once, at start).
/// </summary>
public static class ReloadRules
{
    private const string Akka = "akka";
    private const string AkkaLogLevel = "akka.loglevel";

    /// <summary>The <c>actor-echo</c> keys fixed at start: the sockets (addresses, queues, options), the HTTP
    /// endpoint, the log's format, and the shutdown's timings (CoordinatedShutdown's phase timeouts are computed from
    /// them at start). <c>udp.max-datagram-size</c> too: it is checked against <c>akka.io.udp</c>'s buffer, fixed at start.</summary>
    private static readonly HashSet<string> RestartOnly =
    [
        "bind-address", "backlog", "accept-queues", "reuse-port", "inline-socket-completions",
        "socket-receive-buffer-size", "socket-send-buffer-size", "http-endpoint", "log-format",
        "drain-timeout", "drain-linger", "drain-quiet", "lame-duck", "descriptor-reserve",
        "udp.bind-address", "udp.socket-receive-buffer-size", "udp.max-datagram-size",
        "tls.bind-address",
    ];

    /// <summary>Whether <paramref name="key"/> (a full path) keeps its value until a restart.</summary>
    public static bool NeedsRestart(string key)
    {
        if (key.StartsWith(EchoSettings.SectionName + ".", StringComparison.Ordinal))
            return RestartOnly.Contains(key[(EchoSettings.SectionName.Length + 1)..]);
        return key != AkkaLogLevel;
    }

    /// <summary>Every leaf key under <c>actor-echo</c> and <c>akka</c> whose value differs, in key order.</summary>
    public static IReadOnlyList<ConfigChange> Changes(Config inForce, Config loaded)
    {
        var before = Leaves(inForce);
        var after = Leaves(loaded);
        return before.Keys.Union(after.Keys)
            .Order(StringComparer.Ordinal)
            .Select(key => new ConfigChange(key, before.GetValueOrDefault(key), after.GetValueOrDefault(key)))
            .Where(change => change.Old != change.New)
            .ToList();
    }

    /// <summary>The settings a reload puts in force: <paramref name="loaded"/>, with every field that needs a restart
    /// as it is in <paramref name="inForce"/> (so the command line's and the environment's overrides stay too),
    /// checked again where fields depend on each other.</summary>
    /// <exception cref="SettingsException">the fields do not fit together (e.g. TLS on from the command line, and the
    /// file no longer names a certificate).</exception>
    public static EchoSettings Effective(EchoSettings loaded, EchoSettings inForce)
    {
        var effective = loaded with
        {
            BindAddress = inForce.BindAddress,
            Backlog = inForce.Backlog,
            AcceptQueues = inForce.AcceptQueues,
            InlineSocketCompletions = inForce.InlineSocketCompletions,
            ReusePort = inForce.ReusePort,
            SocketReceiveBufferSize = inForce.SocketReceiveBufferSize,
            SocketSendBufferSize = inForce.SocketSendBufferSize,
            HttpEndpoint = inForce.HttpEndpoint,
            LogFormat = inForce.LogFormat,
            DrainTimeout = inForce.DrainTimeout,
            DrainLinger = inForce.DrainLinger,
            DrainQuiet = inForce.DrainQuiet,
            LameDuck = inForce.LameDuck,
            DescriptorReserve = inForce.DescriptorReserve,
            Udp = loaded.Udp with
            {
                BindAddress = inForce.Udp.BindAddress,
                SocketReceiveBufferSize = inForce.Udp.SocketReceiveBufferSize,
                MaxDatagramSize = inForce.Udp.MaxDatagramSize,
            },
            Tls = loaded.Tls with { BindAddress = inForce.Tls.BindAddress },
        };
        effective.Udp.Validate();
        effective.Tls.Validate();
        return effective;
    }

    /// <summary>Leaf path → value as written, for the sections a reload compares (fallbacks included).</summary>
    private static Dictionary<string, string> Leaves(Config config)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var section in new[] { EchoSettings.SectionName, Akka })
            if (config.HasPath(section))
                Collect(config.GetConfig(section).Root, section, leaves);
        return leaves;
    }

    private static void Collect(HoconValue value, string path, Dictionary<string, string> leaves)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
                Collect(child, path + "." + key, leaves);
            return;
        }
        leaves[path] = value.IsArray()
            ? "[" + string.Join(", ", value.GetArray().Select(item => item.IsString() ? item.GetString() : item.ToString())) + "]"
            : value.IsString() ? value.GetString() : value.ToString();
    }
}
