using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace ActorEcho.Tests.Edge;

/// <summary>PROXY headers built byte by byte (HAProxy's doc/proxy-protocol.txt), valid or deliberately not, for
/// the specs that send them to a running server.</summary>
internal static class ProxyHeaders
{
    public static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static readonly IPEndPoint Client4 = new(IPAddress.Parse("203.0.113.7"), 51000);
    public static readonly IPEndPoint Server4 = new(IPAddress.Parse("192.0.2.1"), 2000);
    public static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::7"), 51000);
    public static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8::1"), 2000);

    public static byte[] V1(string line) => Encoding.ASCII.GetBytes(line);

    /// <summary>A v2 header: signature, version 2 and <paramref name="command"/> (0 LOCAL, 1 PROXY),
    /// <paramref name="familyAndTransport"/> (0x11 TCP over IPv4, 0x21 over IPv6, 0x31 AF_UNIX, 0x00 UNSPEC), the
    /// length (the body's unless <paramref name="declaredLength"/> lies), then <paramref name="body"/>.</summary>
    public static byte[] V2(int command, byte familyAndTransport, byte[] body, int? declaredLength = null)
    {
        var header = new byte[16 + body.Length];
        V2Signature.CopyTo(header, 0);
        header[12] = (byte)(0x20 | command);
        header[13] = familyAndTransport;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(declaredLength ?? body.Length));
        body.CopyTo(header, 16);
        return header;
    }

    /// <summary>v2's address block: both addresses, both ports, then <paramref name="tlvs"/>.</summary>
    public static byte[] Addresses(IPEndPoint source, IPEndPoint destination, params byte[][] tlvs)
    {
        var size = source.Address.GetAddressBytes().Length;
        var body = new byte[2 * size + 4];
        source.Address.GetAddressBytes().CopyTo(body, 0);
        destination.Address.GetAddressBytes().CopyTo(body, size);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * size), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * size + 2), (ushort)destination.Port);
        return [.. body, .. tlvs.SelectMany(t => t)];
    }

    /// <summary>One TLV: type, 16-bit length (the value's unless <paramref name="declaredLength"/> lies), value.</summary>
    public static byte[] Tlv(byte type, byte[] value, int? declaredLength = null)
    {
        var length = declaredLength ?? value.Length;
        return [type, (byte)(length >> 8), (byte)length, .. value];
    }

    /// <summary>PP2_TYPE_ALPN (0x01) "h2", PP2_TYPE_AUTHORITY (0x02) and PP2_TYPE_UNIQUE_ID (0x05): what HAProxy
    /// sends with <c>send-proxy-v2</c> and its options.</summary>
    public static byte[][] HaproxyTlvs() =>
    [
        Tlv(0x01, "h2"u8.ToArray()),
        Tlv(0x02, "echo.example.com"u8.ToArray()),
        Tlv(0x05, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
    ];
}
