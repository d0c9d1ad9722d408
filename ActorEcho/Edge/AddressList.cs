using System.Net;

namespace ActorEcho.Edge;

/// <summary>
/// A list of networks in CIDR form (<c>10.0.0.0/8</c>, <c>::1/128</c>; a bare address is one host), as the
/// settings <c>allow</c>, <c>deny</c> and <c>proxy-protocol.trusted-sources</c> give them. IPv4-mapped IPv6
/// addresses (a dual-stack socket's IPv4 peers) are matched as the IPv4 address they are.
/// </summary>
public sealed class AddressList
{
    public static readonly AddressList Empty = new([]);

    private readonly IPNetwork[] _networks;

    private AddressList(IPNetwork[] networks) => _networks = networks;

    public bool IsEmpty => _networks.Length == 0;

    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <exception cref="FormatException">an entry is not an address or a network (a network's host bits must be zero,
    /// so that <c>10.0.0.1/8</c>, probably a typo, is refused rather than silently widened).</exception>
    public static AddressList Parse(IEnumerable<string> entries) =>
        new(entries.Select(ParseNetwork).ToArray());

    private static IPNetwork ParseNetwork(string entry)
    {
        var text = entry.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var host) && !text.Contains('%'))
            return new IPNetwork(Normalize(host), Normalize(host).GetAddressBytes().Length * 8);
        if (IPNetwork.TryParse(text, out var network))
            return network;
        throw new FormatException($"'{text}' is not an address or a network such as 10.0.0.0/8 or fd00::/8 (host bits must be zero)");
    }

    public bool Contains(IPAddress address)
    {
        var normalized = Normalize(address);
        foreach (var network in _networks)
            if (network.Contains(normalized))
                return true;
        return false;
    }

    /// <summary>IPv4-mapped IPv6 counts as IPv4.</summary>
    public static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public override string ToString() => _networks.Length == 0 ? "[]" : $"[{string.Join(", ", _networks)}]";
}
