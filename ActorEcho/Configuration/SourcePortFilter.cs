using System.Globalization;
using System.Net;

namespace ActorEcho.Configuration;

/// <summary>
/// The source ports whose datagrams are never answered (<c>actor-echo.udp.refused-source-ports</c>): written as
/// numbers and <c>from-to</c> ranges, e.g. <c>["0-1023", 1900, 11211]</c>. A lookup is one bit test. Two filters
/// are equal when they refuse the same ports, however written.
/// </summary>
public sealed class SourcePortFilter : IEquatable<SourcePortFilter>
{
    private readonly ulong[] _refused = new ulong[(IPEndPoint.MaxPort + 1) / 64];

    private SourcePortFilter() { }

    /// <summary>The refused ports, as written (for logs and docs).</summary>
    public IReadOnlyList<string> Entries { get; private init; } = [];

    public bool IsRefused(int port) =>
        (uint)port > IPEndPoint.MaxPort || (_refused[port >> 6] & (1UL << (port & 63))) != 0;

    /// <summary>Parses entries such as <c>"0-1023"</c>, <c>"1900"</c>.</summary>
    /// <exception cref="FormatException">an entry is not a port or a range of ports (the message is one line).</exception>
    public static SourcePortFilter Parse(IEnumerable<string> entries)
    {
        var list = entries.Select(e => e.Trim()).ToList();
        var filter = new SourcePortFilter { Entries = list };
        foreach (var entry in list)
        {
            var dash = entry.Length > 1 ? entry.IndexOf('-', 1) : -1;
            var (from, to) = dash < 0
                ? (ParsePort(entry, entry), ParsePort(entry, entry))
                : (ParsePort(entry[..dash], entry), ParsePort(entry[(dash + 1)..], entry));
            if (from > to)
                throw new FormatException($"'{entry}' is not a range: {from} is above {to}");
            for (var port = from; port <= to; port++)
                filter._refused[port >> 6] |= 1UL << (port & 63);
        }
        return filter;
    }

    private static int ParsePort(string text, string entry)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
            throw new FormatException($"'{entry}' is not a port (0-65535) or a range of ports such as 0-1023");
        return port;
    }

    public bool Equals(SourcePortFilter? other) => other is not null && _refused.AsSpan().SequenceEqual(other._refused);

    public override bool Equals(object? obj) => Equals(obj as SourcePortFilter);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_refused.AsSpan()));
        return hash.ToHashCode();
    }

    public override string ToString() => $"[{string.Join(", ", Entries)}]";
}
