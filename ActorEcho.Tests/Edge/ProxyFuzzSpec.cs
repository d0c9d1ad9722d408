using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using ActorEcho.Edge;
using ActorEcho.TcpEcho;
using ActorEcho.Tests.Server;
using ActorEcho.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;
using static ActorEcho.Tests.Edge.ProxyHeaders;

namespace ActorEcho.Tests.Edge;

/// <summary>
/// The PROXY parser fuzzed through a running listener, beyond <see cref="ProxyProtocolParserSpec"/>'s properties:
/// valid v1 and v2 headers (v2 with TLVs, IPv4, IPv6, LOCAL, UNSPEC, AF_UNIX) mutated deterministically
/// (truncated at every length class, bits flipped, bytes set, v2's lengths lied about, v1's fields made bad, junk
/// after, split across writes), each followed by a payload, from 64 clients at once. The product's own parser is
/// the oracle: where it reads a header, exactly the bytes after it come back; where it refuses, the connection is
/// closed with nothing echoed; where it still waits, the connection is closed at the header timeout with nothing
/// echoed. The server's own verdicts (its close reasons) must match the oracle's counts, and it serves a valid
/// client afterwards. The close reasons are on the process-wide meter, hence the isolated collection.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class ProxyFuzzSpec(ITestOutputHelper output) : ServerKit(output)
{
    private const int Seed = 29;
    private const int Concurrency = 64;
    /// <summary>Long enough for a client to send a valid header in all its writes while 63 others run on 2 cores;
    /// the 76 headers the parser still waits on each cost one.</summary>
    private static readonly TimeSpan HeaderTimeout = TimeSpan.FromMilliseconds(1500);
    /// <summary>How late after the header timeout a close may come on a loaded machine (64 clients, 2 cores).</summary>
    private static readonly TimeSpan CloseMargin = TimeSpan.FromSeconds(3);

    /// <summary>One input: what was done to which header, the bytes (header and payload), and the sizes of the
    /// writes that send them.</summary>
    private sealed record Mutation(string Kind, byte[] Bytes, int[] Writes);

    [Fact]
    public async Task Thousands_of_mutated_headers_from_64_clients_at_once_are_answered_as_the_parser_reads_them_and_the_server_stays_up()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(90));
        using var closed = new MetricCollector<long>(EchoMetrics.ConnectionsClosed);
        var (listener, endpoint) = await StartListenerAsync(Settings(s => s with
        {
            Edge = s.Edge with
            {
                ProxyProtocol = ProxyProtocolMode.Any,
                TrustedSources = AddressList.Parse(["127.0.0.0/8"]),
                HeaderTimeout = HeaderTimeout,
            },
        }));
        var mutations = Mutations();
        var verdicts = mutations.GroupBy(m => Verdict(m.Bytes)).ToDictionary(g => g.Key, g => g.Count());
        var failures = new ConcurrentQueue<string>();
        var next = -1;
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < mutations.Count; i = Interlocked.Increment(ref next))
                if (await TryAsync(mutations[i], endpoint, ct) is { } failure)
                    failures.Enqueue(failure);
        }, ct)));

        Output?.WriteLine($"PROXY fuzz: {mutations.Count} mutated headers in {clock.Elapsed.TotalSeconds:F1} s, " +
                          $"{Concurrency} clients at once: {string.Join(", ", verdicts.Select(v => $"{v.Value} {v.Key}"))}; " +
                          $"{failures.Count} failed");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));

        using (var valid = await LoopbackClient.ConnectAsync(endpoint, ct))
        {
            await valid.SendAsync(V1("PROXY TCP4 198.51.100.9 192.0.2.1 40000 2000\r\n"), ct);
            await valid.AssertEchoesAsync(seed: 1, ct);
        }
        // The server's own verdicts: every refusal and every timeout the oracle predicted, and one admission per
        // header it read (plus the valid client just now).
        await AwaitStatsAsync(listener, s => Assert.Equal(
            (0, verdicts.GetValueOrDefault(ProxyParseStatus.Complete) + 1L), (s.Active, s.Accepted)));
        await AwaitAssertAsync(() => Assert.Equal(
            (verdicts.GetValueOrDefault(ProxyParseStatus.Invalid), verdicts.GetValueOrDefault(ProxyParseStatus.NeedMore)),
            (Closes(closed, CloseReason.ProxyHeaderInvalid), Closes(closed, CloseReason.ProxyHeaderTimeout))), Patience);
    }

    private static long Closes(MetricCollector<long> closed, CloseReason reason) => closed.GetMeasurementSnapshot()
        .Where(m => Equals(m.Tags["reason"], CloseReasonTags.Text(reason))).Sum(m => m.Value);

    private static ProxyParseStatus Verdict(byte[] bytes) =>
        ProxyProtocolParser.Parse(bytes, ProxyProtocolMode.Any, out _, out _, out _);

    /// <summary>Sends one mutation and checks the server's answer against the oracle's; returns what went wrong,
    /// or null.</summary>
    private static async Task<string?> TryAsync(Mutation mutation, IPEndPoint endpoint, CancellationToken ct)
    {
        var status = ProxyProtocolParser.Parse(mutation.Bytes, ProxyProtocolMode.Any, out _, out var length, out _);
        var what = $"{mutation.Kind} [{Convert.ToHexString(mutation.Bytes)}] in writes of {string.Join("+", mutation.Writes)}, {status}";
        var clock = Stopwatch.StartNew(); // before the connect (docs/code-notes.md, "Specs against the clock")
        using var client = await LoopbackClient.ConnectAsync(endpoint, ct);
        var sent = true;
        try
        {
            var offset = 0;
            foreach (var size in mutation.Writes)
            {
                await client.SendAsync(mutation.Bytes.AsMemory(offset, size), ct);
                offset += size;
            }
        }
        catch (SocketException)
        {
            sent = false; // the server closed at a bad byte before the rest went out
        }

        if (status != ProxyParseStatus.Complete)
        {
            var (end, echoed) = await client.ReceiveUntilClosedAsync(ct);
            var took = clock.Elapsed;
            if (echoed.Length > 0)
                return $"{what}: {echoed.Length} bytes echoed";
            if (took > HeaderTimeout + CloseMargin)
                return $"{what}: closed ({end}) only after {took.TotalMilliseconds:F0} ms";
            if (status == ProxyParseStatus.NeedMore && took < HeaderTimeout - TimeSpan.FromMilliseconds(50))
                return $"{what}: closed ({end}) after {took.TotalMilliseconds:F0} ms, before the header timeout";
            return null;
        }

        var expected = mutation.Bytes[length..];
        if (!sent)
            return $"{what}: the server closed while the header was being sent";
        try
        {
            // Up to the whole expected echo first, then the half-close, then everything to the server's FIN: a byte
            // of header echoed, or a byte of data lost, shows as a difference.
            var echoed = await ReceiveUpToAsync(client, expected.Length, ct);
            client.ShutdownSend();
            var (end, rest) = await client.ReceiveUntilClosedAsync(ct);
            var all = echoed.Concat(rest).ToArray();
            return all.AsSpan().SequenceEqual(expected) && end == ConnectionEnd.Eof
                ? null
                : $"{what}: {expected.Length} bytes expected back then FIN, got {all.Length} then {end}";
        }
        catch (SocketException e)
        {
            return $"{what}: {e.SocketErrorCode}";
        }
    }

    /// <summary>Reads until <paramref name="count"/> bytes have come or the server ends the connection.</summary>
    private static async Task<byte[]> ReceiveUpToAsync(LoopbackClient client, int count, CancellationToken ct)
    {
        var data = new byte[count];
        var filled = 0;
        while (filled < count)
        {
            var read = await client.Socket.ReceiveAsync(data.AsMemory(filled), SocketFlags.None, ct);
            if (read == 0)
                break;
            filled += read;
        }
        return data[..filled];
    }

    // --- the corpus and its mutations, all from one seed ---

    private const string Ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

    private static List<(string Name, byte[] Header)> Corpus() =>
    [
        ("v1 TCP4", V1("PROXY TCP4 203.0.113.7 192.0.2.1 51000 2000\r\n")),
        ("v1 TCP4 longest", V1("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n")),
        ("v1 TCP6", V1("PROXY TCP6 2001:db8::7 2001:db8::1 51000 2000\r\n")),
        ("v1 TCP6 longest", V1($"PROXY TCP6 {Ffff} {Ffff} 65535 65535\r\n")),
        ("v1 UNKNOWN", V1("PROXY UNKNOWN\r\n")),
        ("v1 UNKNOWN, 107 bytes", V1($"PROXY UNKNOWN {Ffff} {Ffff} 65535 65535\r\n")),
        ("v2 PROXY IPv4", V2(1, 0x11, Addresses(Client4, Server4))),
        ("v2 PROXY IPv4 with TLVs", V2(1, 0x11, Addresses(Client4, Server4, HaproxyTlvs()))),
        ("v2 PROXY IPv6", V2(1, 0x21, Addresses(Client6, Server6))),
        ("v2 PROXY IPv6 with TLVs", V2(1, 0x21, Addresses(Client6, Server6, HaproxyTlvs()))),
        ("v2 LOCAL", V2(0, 0x00, [])),
        ("v2 LOCAL with IPv4 addresses and TLVs", V2(0, 0x11, Addresses(Client4, Server4, HaproxyTlvs()))),
        ("v2 PROXY UNSPEC", V2(1, 0x00, [])),
        ("v2 PROXY AF_UNIX", V2(1, 0x31, new byte[216])),
    ];

    private static readonly string[] BadV1Fields =
        ["", "x", "65536", "-1", "0443", "99999999", "1.2.3", "::1", "256.1.1.1", "1.2.3.4.5", "1.2.3.4%lo", "TCP5", "tcp4", "1e3", "\t"];

    private static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x0D, 0x0A, 0x20, (byte)'0', (byte)':', (byte)'.', 0x7F, 0x80, 0x21, 0x11];

    private static List<Mutation> Mutations()
    {
        var random = new Random(Seed);
        var inputs = new List<(string Kind, byte[] Header)>();
        foreach (var (name, header) in Corpus())
        {
            Assert.True(Verdict(header) == ProxyParseStatus.Complete, $"the corpus's {name} is not a valid header");
            var isV2 = header[0] == 0x0D;
            inputs.Add(($"{name}", header));
            inputs.Add(($"{name}, sent twice", [.. header, .. header]));
            inputs.Add(($"{name}, junk after", [.. header, .. LoopbackClient.RandomBytes(random.Next(1, 300), random.Next())]));

            // Truncated at every length class: inside the signature or "PROXY ", at v2's fixed part, half-way, at the end.
            var cuts = new SortedSet<int> { 1, 2, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17, 20, header.Length / 2, header.Length - 2, header.Length - 1 };
            for (var i = 0; i < 4; i++)
                cuts.Add(random.Next(1, header.Length));
            foreach (var cut in cuts.Where(c => c > 0 && c < header.Length))
                inputs.Add(($"{name}, cut to {cut} bytes", header[..cut]));

            for (var i = 0; i < 300; i++)
            {
                var flipped = (byte[])header.Clone();
                var flips = random.Next(1, 4);
                for (var f = 0; f < flips; f++)
                {
                    // Half the flips in the first 16 bytes: signature, version, command, family, length.
                    var at = random.Next(2) == 0 ? random.Next(Math.Min(16, header.Length)) : random.Next(header.Length);
                    flipped[at] ^= (byte)(1 << random.Next(8));
                }
                inputs.Add(($"{name}, {flips} bits flipped", flipped));
            }
            for (var i = 0; i < 40; i++)
            {
                var set = (byte[])header.Clone();
                var at = random.Next(header.Length);
                set[at] = InterestingBytes[random.Next(InterestingBytes.Length)];
                inputs.Add(($"{name}, byte {at} set to 0x{set[at]:X2}", set));
            }

            if (isV2)
                inputs.AddRange(LengthLies(name, header));
            else
                inputs.AddRange(BadFields(name, header));
            for (var i = 0; i < 5; i++)
                inputs.Add(($"signature then random bytes ({name}'s turn)",
                    [.. V2Signature, .. LoopbackClient.RandomBytes(random.Next(1, 80), random.Next())]));
        }

        return inputs.Select(input =>
        {
            byte[] bytes = [.. input.Header, .. LoopbackClient.RandomBytes(random.Next(1, 200), random.Next())];
            return new Mutation(input.Kind, bytes, Writes(bytes.Length, input.Header.Length, random));
        }).ToList();
    }

    /// <summary>v2's length field larger and smaller than the real one, and its first TLV's length likewise.</summary>
    private static IEnumerable<(string, byte[])> LengthLies(string name, byte[] header)
    {
        var real = header.Length - 16;
        foreach (var declared in new[] { 0, 1, real - 1, real - 2, real - 3, real - 4, real - 12, real - 36, real + 1, real + 2, real + 3, real + 12, real + 100, 1023, 1024, 1025, 0xFFFF }.Distinct())
        {
            if (declared < 0 || declared == real)
                continue;
            var lie = (byte[])header.Clone();
            lie[14] = (byte)(declared >> 8);
            lie[15] = (byte)declared;
            yield return ($"{name}, length {declared} for {real}", lie);
        }
        // The TLVs of PROXY over IPv4 or IPv6, which must fill the length exactly.
        int? addressBytes = (header[13] >> 4) switch { 1 => 12, 2 => 36, _ => null };
        var firstTlv = 16 + (addressBytes ?? header.Length);
        if (header[12] == 0x21 && firstTlv + 3 <= header.Length)
        {
            var tlvLength = (header[firstTlv + 1] << 8) | header[firstTlv + 2];
            foreach (var declared in new[] { 0, tlvLength - 1, tlvLength + 1, tlvLength + 2, 0xFFFF })
            {
                var lie = (byte[])header.Clone();
                lie[firstTlv + 1] = (byte)(declared >> 8);
                lie[firstTlv + 2] = (byte)declared;
                yield return ($"{name}, first TLV's length {declared} for {tlvLength}", lie);
            }
        }
    }

    /// <summary>v1 with each field replaced by a bad one, and with its separators broken.</summary>
    private static IEnumerable<(string, byte[])> BadFields(string name, byte[] header)
    {
        var line = Encoding.ASCII.GetString(header)[..^2];
        var fields = line.Split(' ');
        if (fields.Length == 6)
        {
            for (var field = 1; field < fields.Length; field++)
                foreach (var bad in BadV1Fields)
                {
                    var changed = (string[])fields.Clone();
                    changed[field] = bad;
                    yield return ($"{name}, field {field} \"{bad}\"", V1(string.Join(' ', changed) + "\r\n"));
                }
        }
        yield return ($"{name}, two spaces", V1(line.Replace(" ", "  ", StringComparison.Ordinal) + "\r\n"));
        yield return ($"{name}, a trailing space", V1(line + " \r\n"));
        yield return ($"{name}, LF only", V1(line + "\n"));
        yield return ($"{name}, CR only", V1(line + "\r"));
        yield return ($"{name}, tabs", V1(line.Replace(' ', '\t') + "\r\n"));
        yield return ($"{name}, padded past 107 bytes", V1(line + new string(' ', 108 - line.Length) + "\r\n"));
    }

    /// <summary>How the bytes go out: mostly in one write, else split at random places, else the header a byte at
    /// a time.</summary>
    private static int[] Writes(int length, int headerLength, Random random)
    {
        var roll = random.Next(10);
        if (roll < 7)
            return [length];
        if (roll < 9)
        {
            var cuts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(1, length)).Append(0).Append(length)
                .Distinct().Order().ToArray();
            return cuts.Zip(cuts.Skip(1), (from, to) => to - from).ToArray();
        }
        return [.. Enumerable.Repeat(1, headerLength), length - headerLength];
    }
}
