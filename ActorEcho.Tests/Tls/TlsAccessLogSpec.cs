using System.Net;
using System.Security.Authentication;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>
/// The access log of the TLS listener (docs/edge.md): the common fields, then what the handshake negotiated, as named
/// template fields: <c>tls_protocol</c>, <c>tls_cipher</c>, <c>tls_sni</c>, <c>tls_client_subject</c> (each <c>-</c>
/// when absent). Real loopback sockets and SslStream clients.
/// </summary>
public sealed class TlsAccessLogSpec(ITestOutputHelper output) : TlsKit(output)
{
    [Fact]
    public async Task The_line_names_the_protocol_the_cipher_the_sni_and_the_client_certificates_subject()
    {
        var ct = Deadline.After(Patience);
        var lines = CaptureInfoLines();
        var settings = Settings(s => s with { Edge = s.Edge with { AccessLog = true } });
        var (_, endpoint) = await StartTlsListenerAsync(settings, TestCertificates.ServerCredentials(ClientCertificateMode.Optional));

        int port;
        await using (var client = await TlsClient.ConnectAsync(endpoint, ct, TestCertificates.GoodClient(), SslProtocols.Tls12,
            targetHost: "echo.example"))
        {
            port = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
            var data = LoopbackClient.RandomBytes(1000, 1);
            Assert.Equal(data, await client.EchoWithHalfCloseAsync(data, ct));
        }
        var line = await AccessLineAsync(lines, $"127.0.0.1:{port}");
        Assert.Matches(@" via=- listener=127\.0\.0\.1:\d+ duration_ms=\d+ bytes_in=\d+ bytes_out=\d+ reason=peer-closed ", line);
        // Echoed plaintext, as on plain TCP: the handshake's records and the TLS framing are not counted.
        Assert.Equal(1000, Field(line, "bytes_in"));
        Assert.Equal(1000, Field(line, "bytes_out"));
        Assert.Matches(@" tls_protocol=TLSv1\.2 tls_cipher=TLS_\w+ tls_sni=echo\.example tls_client_subject=CN=good\\20client$", line);

        await using (var client = await TlsClient.ConnectAsync(endpoint, ct, protocols: SslProtocols.Tls13))
        {
            port = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
            await client.AssertEchoesAsync(2, ct);
        }
        Assert.Matches(@" tls_protocol=TLSv1\.3 tls_cipher=TLS_AES_\w+ tls_sni=localhost tls_client_subject=-$",
            await AccessLineAsync(lines, $"127.0.0.1:{port}"));
    }

    [Fact]
    public async Task A_connection_whose_handshake_failed_has_a_dash_for_each_tls_field()
    {
        var ct = Deadline.After(Patience);
        var lines = CaptureInfoLines();
        var (_, endpoint) = await StartTlsListenerAsync(Settings(s => s with { Edge = s.Edge with { AccessLog = true } }));
        using var garbage = await LoopbackClient.ConnectAsync(endpoint, ct);
        var port = ((IPEndPoint)garbage.Socket.LocalEndPoint!).Port;
        await garbage.SendAsync(LoopbackClient.RandomBytes(100, 3), ct);
        await garbage.ReceiveUntilClosedAsync(ct);
        Assert.Matches(@" reason=handshake-failed tls_protocol=- tls_cipher=- tls_sni=- tls_client_subject=-$",
            await AccessLineAsync(lines, $"127.0.0.1:{port}"));
    }

    private static long Field(string line, string key) =>
        long.Parse(line.Split(' ').Single(part => part.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..]);
}
