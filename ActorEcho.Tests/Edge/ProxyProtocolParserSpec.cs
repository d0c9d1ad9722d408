using System.Buffers.Binary;
using System.Net;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Edge;
using CsCheck;

namespace ActorEcho.Tests.Edge;

/// <summary>The PROXY header parser against HAProxy's doc/proxy-protocol.txt: its examples and worst cases, then
/// malformed, truncated, oversized and split-across-reads headers (the last property-based, CsCheck).</summary>
public sealed class ProxyProtocolParserSpec
{
    private static ProxyParseStatus Parse(byte[] bytes, out ProxyHeader? header, out int length,
        ProxyProtocolMode mode = ProxyProtocolMode.Any) =>
        ProxyProtocolParser.Parse(bytes, mode, out header, out length, out _);

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    // --- v1: the spec's examples (section 2.1) ---

    [Fact]
    public void Reads_the_specs_TCP4_example()
    {
        var line = Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
        Assert.Equal(ProxyParseStatus.Complete, Parse(line, out var header, out var length));
        Assert.Equal(line.Length, length);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324), header!.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443), header.Destination);
        Assert.Equal(1, header.Version);
    }

    [Fact]
    public void Reads_the_specs_worst_cases_up_to_107_bytes()
    {
        const string ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        var tcp4 = Ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
        var tcp6 = Ascii($"PROXY TCP6 {ffff} {ffff} 65535 65535\r\n");
        var unknown = Ascii($"PROXY UNKNOWN {ffff} {ffff} 65535 65535\r\n");
        Assert.Equal(56, tcp4.Length);
        Assert.Equal(104, tcp6.Length);
        Assert.Equal(107, unknown.Length);

        Assert.Equal(ProxyParseStatus.Complete, Parse(tcp4, out var h4, out _));
        Assert.Equal(65535, h4!.Source!.Port);
        Assert.Equal(ProxyParseStatus.Complete, Parse(tcp6, out var h6, out _));
        Assert.Equal(IPAddress.Parse(ffff), h6!.Source!.Address);
        Assert.Equal(ProxyParseStatus.Complete, Parse(unknown, out var hu, out var length));
        Assert.Equal(107, length);
        Assert.Null(hu!.Source); // UNKNOWN: the socket's own address stands
    }

    [Fact]
    public void Reads_a_bare_UNKNOWN_line_and_leaves_the_bytes_after_it_as_data()
    {
        var bytes = Ascii("PROXY UNKNOWN\r\nhello");
        Assert.Equal(ProxyParseStatus.Complete, Parse(bytes, out var header, out var length));
        Assert.Null(header!.Source);
        Assert.Equal(15, length);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n")] // four fields
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n")] // two spaces
    [InlineData("PROXY TCP4 ::1 ::1 56324 443\r\n")] // IPv6 under TCP4
    [InlineData("PROXY TCP6 192.168.0.1 192.168.0.11 56324 443\r\n")] // IPv4 under TCP6
    [InlineData("PROXY TCP4 192.168.1 192.168.0.11 56324 443\r\n")] // shortened IPv4
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n")] // port out of range
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 0443 443\r\n")] // leading zero
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n")]
    [InlineData("PROXY UDP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY tcp4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n")] // LF without CR
    [InlineData("PROXY TCP4 192.168.0.1\r192.168.0.11 56324 443\r\n")] // CR not followed by LF
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 \r\n")] // trailing space: six fields
    [InlineData("proxy TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("hello")]
    public void Refuses_malformed_v1_lines(string text) =>
        Assert.Equal(ProxyParseStatus.Invalid, Parse(Ascii(text), out _, out _));

    [Fact]
    public void Refuses_a_v1_line_with_no_CRLF_within_107_bytes()
    {
        var line = Ascii("PROXY UNKNOWN " + new string('a', 93)); // 107 bytes, no CRLF
        Assert.Equal(107, line.Length);
        Assert.Equal(ProxyParseStatus.Invalid, Parse(line, out _, out _));
        Assert.Equal(ProxyParseStatus.NeedMore, Parse(line[..106], out _, out _));
    }

    // --- v2 (section 2.2) ---

    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>A v2 header: signature, version 2 and <paramref name="command"/>, <paramref name="familyAndTransport"/>,
    /// the length, then <paramref name="body"/>.</summary>
    private static byte[] V2(int command, byte familyAndTransport, byte[] body, int? declaredLength = null)
    {
        var header = new byte[16 + body.Length];
        Signature.CopyTo(header, 0);
        header[12] = (byte)(0x20 | command);
        header[13] = familyAndTransport;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(declaredLength ?? body.Length));
        body.CopyTo(header, 16);
        return header;
    }

    private static byte[] Addresses(IPEndPoint source, IPEndPoint destination, int tlvBytes = 0)
    {
        var size = source.Address.GetAddressBytes().Length;
        var body = new byte[2 * size + 4 + tlvBytes];
        source.Address.GetAddressBytes().CopyTo(body, 0);
        destination.Address.GetAddressBytes().CopyTo(body, size);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * size), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * size + 2), (ushort)destination.Port);
        if (tlvBytes >= 3)
        {
            // One TLV (type 0x05, PP2_TYPE_UNIQUE_ID) filling the space: skipped by the parser.
            body[2 * size + 4] = 0x05;
            BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2 * size + 5), (ushort)(tlvBytes - 3));
        }
        return body;
    }

    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("203.0.113.7"), 51000);
    private static readonly IPEndPoint Server4 = new(IPAddress.Parse("192.0.2.1"), 2000);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::7"), 51000);
    private static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8::1"), 2000);

    [Fact]
    public void Reads_v2_PROXY_over_TCP_on_IPv4_and_IPv6_skipping_TLVs()
    {
        var v4 = V2(1, 0x11, Addresses(Client4, Server4));
        Assert.Equal(ProxyParseStatus.Complete, Parse(v4, out var h4, out var l4));
        Assert.Equal((Client4, Server4, 28), (h4!.Source, h4.Destination, l4));

        var v6 = V2(1, 0x21, Addresses(Client6, Server6, tlvBytes: 40));
        Assert.Equal(ProxyParseStatus.Complete, Parse(v6, out var h6, out var l6));
        Assert.Equal((Client6, Server6, 16 + 36 + 40), (h6!.Source, h6.Destination, l6));
        Assert.Equal(2, h6.Version);
    }

    [Theory]
    [InlineData(0, 0x11)] // LOCAL (a health check) over TCP4: the addresses are ignored
    [InlineData(0, 0x00)] // LOCAL, UNSPEC
    [InlineData(1, 0x00)] // PROXY, UNSPEC
    [InlineData(1, 0x31)] // PROXY over AF_UNIX stream: no IP to use
    public void Keeps_the_sockets_address_for_LOCAL_UNSPEC_and_AF_UNIX(int command, byte familyAndTransport)
    {
        var bodyLength = (familyAndTransport >> 4) switch { 1 => 12, 3 => 216, _ => 0 };
        var header = V2(command, familyAndTransport, new byte[bodyLength]);
        Assert.Equal(ProxyParseStatus.Complete, Parse(header, out var parsed, out var length));
        Assert.Null(parsed!.Source);
        Assert.Equal(header.Length, length);
    }

    public static TheoryData<string, byte[]> MalformedV2 => new()
    {
        { "version 1 in the v2 signature", Patch(V2(1, 0x11, Addresses(Client4, Server4)), 12, 0x11) },
        { "command 2", Patch(V2(1, 0x11, Addresses(Client4, Server4)), 12, 0x22) },
        { "family 4", V2(1, 0x41, new byte[12]) },
        { "transport 3", V2(1, 0x13, new byte[12]) },
        { "UDP over IPv4", V2(1, 0x12, Addresses(Client4, Server4)) },
        { "length shorter than IPv4's addresses", V2(1, 0x11, new byte[11]) },
        { "length shorter than IPv6's addresses", V2(1, 0x21, new byte[35]) },
        { "length shorter than AF_UNIX's addresses", V2(1, 0x31, new byte[100]) },
        { "damaged signature", Patch(V2(1, 0x11, Addresses(Client4, Server4)), 7, 0x00) },
        // The TLV claims one byte more than the header's length leaves it (HAProxy's proxy_protocol_tlv_validation).
        { "a TLV running past the header's end", Patch(V2(1, 0x11, Addresses(Client4, Server4, tlvBytes: 10)), 16 + 12 + 2, 8) },
        { "two bytes after the addresses: less than a TLV's type and length", V2(1, 0x21, Addresses(Client6, Server6, tlvBytes: 2)) },
    };

    private static byte[] Patch(byte[] bytes, int index, byte value)
    {
        bytes[index] = value;
        return bytes;
    }

    [Theory]
    [MemberData(nameof(MalformedV2))]
    public void Refuses_malformed_v2_headers(string what, byte[] bytes) =>
        Assert.True(ProxyParseStatus.Invalid == Parse(bytes, out _, out _), what);

    [Fact]
    public void Refuses_a_v2_length_over_the_bound_as_soon_as_the_length_is_read()
    {
        var fixedPart = V2(1, 0x11, [], declaredLength: ProxyProtocolParser.MaxV2AddressLength + 1);
        Assert.Equal(ProxyParseStatus.Invalid, Parse(fixedPart, out _, out _));
        var atTheBound = V2(1, 0x11, Addresses(Client4, Server4, ProxyProtocolParser.MaxV2AddressLength - 12));
        Assert.Equal(ProxyParseStatus.Complete, Parse(atTheBound, out _, out var length));
        Assert.Equal(ProxyProtocolParser.MaxHeaderLength, length);
    }

    [Fact]
    public void Every_proper_prefix_of_a_valid_header_needs_more_and_the_mode_picks_the_versions()
    {
        var v1 = Ascii("PROXY TCP6 2001:db8::7 2001:db8::1 51000 2000\r\n");
        var v2 = V2(1, 0x21, Addresses(Client6, Server6, tlvBytes: 10));
        foreach (var (header, mode) in new[] { (v1, ProxyProtocolMode.V1), (v2, ProxyProtocolMode.V2) })
        {
            for (var n = 0; n < header.Length; n++)
                Assert.Equal(ProxyParseStatus.NeedMore, Parse(header[..n], out _, out _, mode));
            Assert.Equal(ProxyParseStatus.Complete, Parse(header, out _, out _, mode));
            Assert.Equal(ProxyParseStatus.Complete, Parse(header, out _, out _, ProxyProtocolMode.Any));
        }
        // The other version is refused at its first byte.
        Assert.Equal(ProxyParseStatus.Invalid, Parse(v1[..1], out _, out _, ProxyProtocolMode.V2));
        Assert.Equal(ProxyParseStatus.Invalid, Parse(v2[..1], out _, out _, ProxyProtocolMode.V1));
        Assert.Equal(ProxyParseStatus.Invalid, Parse(v1, out _, out _, ProxyProtocolMode.Off));
    }

    // --- split across reads (property-based) ---

    private static readonly Gen<IPEndPoint> Endpoint4 =
        Gen.Select(Gen.Byte.Array[4], Gen.Int[0, 65535], (a, p) => new IPEndPoint(new IPAddress(a), p));
    private static readonly Gen<IPEndPoint> Endpoint6 =
        Gen.Select(Gen.Byte.Array[16], Gen.Int[0, 65535], (a, p) => new IPEndPoint(new IPAddress(a), p));

    /// <summary>A valid header of either version and family with what it must parse to.</summary>
    private static readonly Gen<(byte[] Bytes, IPEndPoint Source)> AnyHeader = Gen.OneOf(
        Gen.Select(Endpoint4, Endpoint4, (s, d) => (Ascii($"PROXY TCP4 {s.Address} {d.Address} {s.Port} {d.Port}\r\n"), s)),
        Gen.Select(Endpoint6, Endpoint6, (s, d) => (Ascii($"PROXY TCP6 {s.Address} {d.Address} {s.Port} {d.Port}\r\n"), s)),
        Gen.Select(Endpoint4, Endpoint4, Gen.Int[0, 200], (s, d, t) => (V2(1, 0x11, Addresses(s, d, t < 3 ? 0 : t)), s)),
        Gen.Select(Endpoint6, Endpoint6, Gen.Int[0, 200], (s, d, t) => (V2(1, 0x21, Addresses(s, d, t < 3 ? 0 : t)), s)));

    [Fact]
    public void A_header_split_anywhere_across_reads_gives_the_same_client_and_leaves_exactly_the_data_after_it()
    {
        Gen.Select(AnyHeader, Gen.Byte.Array[0, 300], Gen.Int[1, 64].Array[1, 40])
            .Sample((header, data, cuts) =>
            {
                var stream = header.Bytes.Concat(data).ToArray();
                var reader = new ProxyHeaderReader(ProxyProtocolMode.Any);
                var offset = 0;
                var status = ProxyParseStatus.NeedMore;
                byte[] read = [];
                // Reads of the sizes drawn (the last one takes the rest), until the header is complete.
                foreach (var cut in cuts.Append(int.MaxValue))
                {
                    read = stream[offset..(offset + Math.Min(stream.Length - offset, cut))];
                    offset += read.Length;
                    status = reader.Append(read);
                    if (status != ProxyParseStatus.NeedMore || offset == stream.Length)
                        break;
                }
                Assert.Equal(ProxyParseStatus.Complete, status);
                Assert.Equal(header.Source, reader.Header!.Source);
                // What the reader calls data, plus every later read, is exactly the data sent after the header.
                Assert.Equal(data, read[reader.DataStart..].Concat(stream[offset..]).ToArray());
            }, iter: 2000);
    }

    [Theory]
    [InlineData((byte)0x7F)]
    [InlineData((byte)0x80)]
    [InlineData((byte)0x00)]
    [InlineData((byte)'\n')]
    [InlineData((byte)'\r')]
    public void An_UNKNOWN_line_with_any_byte_before_its_CRLF_is_read_alike_whole_and_a_byte_at_a_time(byte odd)
    {
        // Found by ProxyFuzzSpec: the line was read whole but refused at the odd byte when it came alone.
        byte[] line = [.. Ascii("PROXY UNKNOWN ffff:"), odd, .. Ascii(":1 ::2 1 2\r\nhello")];
        Assert.Equal(ProxyParseStatus.Complete, Parse(line, out _, out var length));
        var reader = new ProxyHeaderReader(ProxyProtocolMode.Any);
        var status = ProxyParseStatus.NeedMore;
        for (var i = 0; i < line.Length && status == ProxyParseStatus.NeedMore; i++)
            status = reader.Append(line.AsSpan(i, 1));
        Assert.Equal(ProxyParseStatus.Complete, status);
        Assert.Equal(length, line.Length - "hello".Length);
    }

    /// <summary>Valid headers (and UNKNOWN lines) with up to three bytes set to anything, then data.</summary>
    private static readonly Gen<byte[]> DamagedHeader = Gen.Select(
        Gen.OneOf(AnyHeader.Select(h => h.Bytes), Gen.Const(Ascii("PROXY UNKNOWN 2001:db8::7 2001:db8::1 51000 2000\r\n"))),
        Gen.Select(Gen.Int[0, 1000], Gen.Byte).Array[0, 3],
        Gen.Byte.Array[0, 40],
        (header, damage, data) =>
        {
            var bytes = header.Concat(data).ToArray();
            foreach (var (at, value) in damage)
                bytes[at % header.Length] = value;
            return bytes;
        });

    [Fact]
    public void A_verdict_on_the_bytes_so_far_stands_whatever_arrives_after_them()
    {
        // The server decides on each read's bytes so far: a refusal or a header there must be the whole stream's too.
        DamagedHeader.Sample(bytes =>
        {
            var whole = Parse(bytes, out _, out var wholeLength);
            for (var n = 1; n < bytes.Length; n++)
            {
                var early = Parse(bytes[..n], out _, out var earlyLength);
                Assert.True(early == ProxyParseStatus.NeedMore || early == whole
                    && (early != ProxyParseStatus.Complete || earlyLength == wholeLength),
                    $"{early} at {n} of {bytes.Length} bytes, {whole} on all of them");
            }
        }, iter: 5000);
    }

    [Fact]
    public void Random_bytes_are_never_taken_for_a_header_unless_they_begin_like_one()
    {
        Gen.Byte.Array[1, 300].Sample(bytes =>
        {
            var status = ProxyProtocolParser.Parse(bytes, ProxyProtocolMode.Any, out var header, out var length, out var error);
            var looksLikeOne = bytes[0] is (byte)'P' or 0x0D;
            Assert.True(looksLikeOne || status == ProxyParseStatus.Invalid);
            Assert.True(status != ProxyParseStatus.Invalid || error is not null);
            Assert.True(status != ProxyParseStatus.Complete || (header is not null && length <= bytes.Length));
        }, iter: 5000);
    }

    [Fact]
    public void A_reader_never_holds_more_than_the_bounded_header()
    {
        // A trusted peer sending a v2 header that declares the largest length, a byte at a time: complete at the
        // bound, never beyond it; one more declared byte is refused at the fixed part.
        var reader = new ProxyHeaderReader(ProxyProtocolMode.V2);
        var header = V2(1, 0x11, Addresses(Client4, Server4, ProxyProtocolParser.MaxV2AddressLength - 12));
        for (var i = 0; i < header.Length - 1; i++)
            Assert.Equal(ProxyParseStatus.NeedMore, reader.Append(header.AsSpan(i, 1)));
        Assert.Equal(ProxyParseStatus.Complete, reader.Append(header.AsSpan(header.Length - 1, 1)));

        var tooLong = new ProxyHeaderReader(ProxyProtocolMode.V2);
        Assert.Equal(ProxyParseStatus.Invalid,
            tooLong.Append(V2(1, 0x11, [], declaredLength: ProxyProtocolParser.MaxV2AddressLength + 1)));
        Assert.NotNull(tooLong.Error);
    }
}
