using System.Globalization;
using System.Net.Sockets;
using System.Net;

namespace ActorEcho.Configuration;

/// <summary>
/// Turns <c>host:port</c> as users write it (<c>127.0.0.1:2000</c>, <c>[::1]:2000</c>, <c>localhost:0</c>) into an
/// <see cref="IPEndPoint"/>. Errors are <see cref="SettingsException"/>s with a one-line message.
/// </summary>
public static class EndpointParser
{
    /// <summary>Splits and checks <paramref name="text"/> without resolving the host.</summary>
    public static (string Host, int Port) Split(string text)
    {
        text = text.Trim();
        string host, port;
        if (text.StartsWith('['))
        {
            // [v6-address]:port — the brackets keep the address's own colons apart from the port's.
            var close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
                throw new SettingsException($"invalid address '{text}': expected [ipv6-address]:port");
            host = text[1..close];
            port = text[(close + 2)..];
            if (IPAddress.TryParse(host, out var literal) && literal.AddressFamily != AddressFamily.InterNetworkV6)
                throw new SettingsException($"invalid address '{text}': brackets are for IPv6 addresses");
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || colon == text.Length - 1)
                throw new SettingsException($"invalid address '{text}': expected host:port, e.g. 127.0.0.1:2000");
            host = text[..colon];
            port = text[(colon + 1)..];
            if (host.Contains(':'))
                throw new SettingsException($"invalid address '{text}': write IPv6 addresses in brackets, e.g. [::1]:2000");
        }

        if (host.Length == 0)
            throw new SettingsException($"invalid address '{text}': the host is empty");
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber))
            throw new SettingsException($"invalid port '{port}' in '{text}': expected a number from 0 to 65535");
        if (portNumber > IPEndPoint.MaxPort)
            throw new SettingsException($"port {portNumber} in '{text}' is out of range: expected 0 to 65535");
        return (host, portNumber);
    }

    /// <summary>Parses <paramref name="text"/> and resolves its host (IPv4 preferred where a name has both).</summary>
    public static async Task<IPEndPoint> ResolveAsync(string text, CancellationToken cancellationToken = default)
    {
        var (host, port) = Split(text);
        return await ResolveAsync(host, port, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves a <paramref name="host"/> that <see cref="Split"/> has checked: a literal address at
    /// once, a name through DNS (an error here is about the name, never about how the address was written).</summary>
    public static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        if (IPAddress.TryParse(host, out var literal))
            return new IPEndPoint(literal, port);

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new SettingsException($"unknown host '{host}': {e.Message}");
        }
        catch (ArgumentException)
        {
            throw new SettingsException($"invalid host name '{host}'");
        }

        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                     ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6)
                     ?? throw new SettingsException($"unknown host '{host}': it has no IP address");
        return new IPEndPoint(chosen, port);
    }

    /// <summary>Formats an endpoint the way it is parsed: <c>1.2.3.4:5</c> or <c>[::1]:5</c>.
    /// IPv4 clients of a dual-stack (<c>[::]</c>) listener are shown as the IPv4 addresses they are.</summary>
    public static string Format(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } mapped => new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port).ToString(),
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };
}
