using System.Net;

namespace ActorEcho.Configuration;

/// <summary>
/// A list of networks in CIDR form (<c>10.0.0.0/8</c>, <c>::1/128</c>; a bare address is one host), as the
/// settings <c>allow</c>, <c>deny</c> and <c>proxy-protocol.trusted-sources</c> give them. IPv4-mapped IPv6
/// addresses (a dual-stack socket's IPv4 peers) are matched as the IPv4 address they are.
/// </summary>
public sealed class AddressList : IEquatable<AddressList>
{
    public static readonly AddressList Empty = new([]);

    private readonly IPNetwork[] _networks;

    private AddressList(IPNetwork[] networks) => _networks = networks;

    public bool IsEmpty => _networks.Length == 0;

    public IReadOnlyList<IPNetwork> Networks => _networks;

    /// <exception cref="FormatException">an entry is not an address or a network (a network's host bits must be zero,
    /// so that <c>10.0.0.1/8</c>, probably a typo, is refused rather than silently widened).</exception>
    public static AddressList Parse(IEnumerable<string> entries)
    {
        var networks = entries.Select(ParseNetwork).ToArray();
        return networks.Length == 0 ? Empty : new AddressList(networks);
    }

    private static IPNetwork ParseNetwork(string entry)
    {
        var text = entry.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var host) && !text.Contains('%'))
            return new IPNetwork(Normalize(host), Normalize(host).GetAddressBytes().Length * 8);
        // IPNetwork masks host bits silently (10.0.0.1/8 becomes 10.0.0.0/8): compare with the address as written.
        if (IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(text[..text.IndexOf('/')], out var written)
            && network.BaseAddress.Equals(written))
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

    /// <summary>Lists are equal when they hold the same networks in the same order (settings are records).</summary>
    public bool Equals(AddressList? other) => other is not null && _networks.AsSpan().SequenceEqual(other._networks);

    public override bool Equals(object? obj) => Equals(obj as AddressList);

    public override int GetHashCode() => _networks.Length == 0 ? 0 : HashCode.Combine(_networks.Length, _networks[0]);

    public override string ToString() => _networks.Length == 0 ? "[]" : $"[{string.Join(", ", _networks)}]";
}
