using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorEcho.Configuration;

namespace ActorEcho.Edge;

/// <summary>
/// The PROXY protocol header, versions 1 and 2 (HAProxy's doc/proxy-protocol.txt), parsed from the bytes a
/// connection received first. Stateless: <see cref="Parse"/> looks at everything received so far (at most
/// <see cref="MaxHeaderLength"/> bytes matter) and says whether it is a header, may still become one, or never
/// can. Answering Invalid as soon as a prefix cannot match means a client that sends no header is refused at
/// its first read, not at the header timeout. See <see cref="ProxyHeaderReader"/> for the accumulating side.
/// </summary>
public static class ProxyProtocolParser
{
    /// <summary>v1's longest line, CRLF included (the spec's 107 bytes).</summary>
    public const int MaxV1Length = 107;

    /// <summary>v2's fixed part: the signature, version and command, family and protocol, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>Bound on v2's variable part (addresses and TLVs). The largest address block is AF_UNIX's 216
    /// bytes; HAProxy's TLVs (ALPN, authority, unique-id of at most 128 bytes, SSL details) fit easily in the rest.
    /// A longer header is refused rather than buffered.</summary>
    public const int MaxV2AddressLength = 1024;

    /// <summary>The most bytes a header can take; a connection waiting for one never holds more.</summary>
    public const int MaxHeaderLength = V2FixedLength + MaxV2AddressLength;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];
    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;
    private static ReadOnlySpan<byte> UnknownPrefix => "PROXY UNKNOWN "u8;

    /// <param name="received">Everything the connection has received so far.</param>
    /// <param name="mode">The versions accepted; <see cref="ProxyProtocolMode.Off"/> accepts none.</param>
    /// <param name="header">With <see cref="ProxyParseStatus.Complete"/>: the header.</param>
    /// <param name="length">With <see cref="ProxyParseStatus.Complete"/>: the header's length in bytes; the rest is data.</param>
    /// <param name="error">With <see cref="ProxyParseStatus.Invalid"/>: why, in a few words.</param>
    public static ProxyParseStatus Parse(ReadOnlySpan<byte> received, ProxyProtocolMode mode,
        out ProxyHeader? header, out int length, out string? error)
    {
        header = null;
        length = 0;
        error = null;
        if (received.IsEmpty)
            return ProxyParseStatus.NeedMore;
        var acceptsV1 = mode is ProxyProtocolMode.V1 or ProxyProtocolMode.Any;
        var acceptsV2 = mode is ProxyProtocolMode.V2 or ProxyProtocolMode.Any;
        if (acceptsV2 && IsPrefixOf(received, V2Signature))
            return ParseV2(received, out header, out length, out error);
        if (acceptsV1 && IsPrefixOf(received, V1Prefix))
            return ParseV1(received, out header, out length, out error);
        error = mode switch
        {
            ProxyProtocolMode.V1 => "not a PROXY v1 header",
            ProxyProtocolMode.V2 => "not a PROXY v2 header",
            ProxyProtocolMode.Any => "not a PROXY header",
            _ => "the PROXY protocol is off",
        };
        return ProxyParseStatus.Invalid;
    }

    /// <summary>True when <paramref name="received"/> and <paramref name="expected"/> agree on their common length.</summary>
    private static bool IsPrefixOf(ReadOnlySpan<byte> received, ReadOnlySpan<byte> expected)
    {
        var common = Math.Min(received.Length, expected.Length);
        return received[..common].SequenceEqual(expected[..common]);
    }

    private static ProxyParseStatus Invalid(string why, out string? error)
    {
        error = why;
        return ProxyParseStatus.Invalid;
    }

    // v1: "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n", "PROXY TCP6 ...", "PROXY UNKNOWN[ anything]\r\n".
    private static ProxyParseStatus ParseV1(ReadOnlySpan<byte> received, out ProxyHeader? header, out int length, out string? error)
    {
        header = null;
        length = 0;
        error = null;
        var end = received[..Math.Min(received.Length, MaxV1Length)].IndexOf("\r\n"u8);
        if (end < 0)
        {
            if (received.Length >= MaxV1Length)
                return Invalid("PROXY v1 line longer than 107 bytes", out error);
            // After "PROXY UNKNOWN " anything before the CRLF is ignored (as the complete line is read below), so
            // no byte of it can refuse the line early: the verdict must not depend on how the line was split.
            if (received.StartsWith(UnknownPrefix))
                return ProxyParseStatus.NeedMore;
            // A bare LF, or any byte outside printable ASCII, can never become a valid line.
            foreach (var b in received)
                if (b is not (>= 0x20 and < 0x7F) and not (byte)'\r')
                    return Invalid("PROXY v1 line with a byte outside printable ASCII", out error);
            var cr = received.IndexOf((byte)'\r');
            if (cr >= 0 && cr < received.Length - 1)
                return Invalid("PROXY v1 line with a CR not followed by LF", out error);
            return ProxyParseStatus.NeedMore;
        }
        length = end + 2;
        var line = Encoding.ASCII.GetString(received[V1Prefix.Length..end]);
        if (line == "UNKNOWN" || line.StartsWith("UNKNOWN ", StringComparison.Ordinal))
        {
            // The spec lets the rest of an UNKNOWN line be anything; the receiver ignores it.
            header = new ProxyHeader(1, null, null);
            return ProxyParseStatus.Complete;
        }
        var fields = line.Split(' ');
        if (fields.Length != 5)
            return Invalid("PROXY v1 line without exactly five fields", out error);
        var family = fields[0] switch
        {
            "TCP4" => AddressFamily.InterNetwork,
            "TCP6" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (family == AddressFamily.Unknown)
            return Invalid("PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN", out error);
        if (!TryV1Address(fields[1], family, out var source) || !TryV1Address(fields[2], family, out var destination))
            return Invalid($"PROXY v1 address is not {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")}", out error);
        if (!TryV1Port(fields[3], out var sourcePort) || !TryV1Port(fields[4], out var destinationPort))
            return Invalid("PROXY v1 port is not a number from 0 to 65535", out error);
        header = new ProxyHeader(1, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ProxyParseStatus.Complete;
    }

    private static bool TryV1Address(string text, AddressFamily family, out IPAddress address)
    {
        address = IPAddress.None;
        // IPAddress.TryParse also takes shortened IPv4 ("1.2") and scope ids; the spec wants the plain forms.
        if (text.Length == 0 || text.Contains('%') || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != family)
            return false;
        if (family == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3)
            return false;
        address = parsed;
        return true;
    }

    /// <summary>Decimal, 0 to 65535, no sign and no leading zero (as the spec writes them).</summary>
    private static bool TryV1Port(string text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == '0') || !text.All(char.IsAsciiDigit))
            return false;
        port = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return port <= 65535;
    }

    private static ProxyParseStatus ParseV2(ReadOnlySpan<byte> received, out ProxyHeader? header, out int length, out string? error)
    {
        header = null;
        length = 0;
        error = null;
        if (V2StartError(received) is { } startError)
            return Invalid(startError, out error);
        if (received.Length < V2FixedLength)
            return ProxyParseStatus.NeedMore;
        var addressLength = BinaryPrimitives.ReadUInt16BigEndian(received[14..16]);
        if (addressLength > MaxV2AddressLength)
            return Invalid($"PROXY v2 header longer than {MaxHeaderLength} bytes", out error);
        var command = received[12] & 0x0F;
        var family = received[13] >> 4;
        var transport = received[13] & 0x0F;
        var needed = family switch { 1 => 12, 2 => 36, 3 => 216, _ => 0 };
        if (command == 1 && addressLength < needed)
            return Invalid("PROXY v2 length too short for its address family", out error);
        if (received.Length < V2FixedLength + addressLength)
            return ProxyParseStatus.NeedMore;
        length = V2FixedLength + addressLength;
        // LOCAL: the balancer speaks for itself (a health check); whatever follows is ignored, the socket's
        // addresses stand. PROXY over UNSPEC or AF_UNIX carries no IP address: the socket's stand too.
        if (command == 0 || family is 0 or 3)
        {
            header = new ProxyHeader(2, null, null);
            return ProxyParseStatus.Complete;
        }
        if (transport != 1)
            return Invalid("PROXY v2 transport is not STREAM", out error);
        var addresses = received[V2FixedLength..];
        var size = family == 1 ? 4 : 16;
        var source = new IPAddress(addresses[..size]);
        var destination = new IPAddress(addresses[size..(2 * size)]);
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(addresses[(2 * size)..]);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(addresses[(2 * size + 2)..]);
        // The TLVs after the addresses are skipped (nothing here needs them) but must fit the length exactly, as
        // HAProxy checks: a TLV running past it means the two lengths disagree on where the client's data begins.
        if (!TlvsFit(addresses[(2 * size + 4)..addressLength]))
            return Invalid("PROXY v2 TLV runs past the header's end", out error);
        header = new ProxyHeader(2, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ProxyParseStatus.Complete;
    }

    /// <summary>True when <paramref name="tlvs"/> is a whole number of TLVs: type, 16-bit length, that many bytes.</summary>
    private static bool TlvsFit(ReadOnlySpan<byte> tlvs)
    {
        while (!tlvs.IsEmpty)
        {
            if (tlvs.Length < 3)
                return false;
            var next = 3 + BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..3]);
            if (next > tlvs.Length)
                return false;
            tlvs = tlvs[next..];
        }
        return true;
    }

    /// <summary>Why bytes 12 and 13 (those received) cannot start a v2 header, or null if they can: byte 12 is
    /// version 2 with command LOCAL (0) or PROXY (1), byte 13 a family from 0 to 3 and a transport from 0 to 2.</summary>
    private static string? V2StartError(ReadOnlySpan<byte> received) =>
        received.Length > 12 && received[12] >> 4 != 2 ? "PROXY v2 version is not 2"
        : received.Length > 12 && (received[12] & 0x0F) > 1 ? "PROXY v2 command is neither LOCAL nor PROXY"
        : received.Length > 13 && (received[13] >> 4 > 3 || (received[13] & 0x0F) > 2) ? "PROXY v2 address family or transport unknown"
        : null;
}
