using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>Client certificates: one from client-ca is served; none (when required), another CA's, an expired one
/// and a server-auth-only one are refused, before anything is echoed.</summary>
public sealed class MutualTlsSpec(ITestOutputHelper output) : TlsKit(output)
{
    [Fact]
    public async Task A_certificate_from_the_configured_CA_is_served()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings(), TestCertificates.ServerCredentials(ClientCertificateMode.Required));
        await using var client = await TlsClient.ConnectAsync(endpoint, ct, TestCertificates.GoodClient());
        await client.AssertEchoesAsync(seed: 1, ct);
    }

    public static TheoryData<string> BadCertificates => ["none", "other CA", "expired", "server-auth only"];

    [Theory]
    [MemberData(nameof(BadCertificates))]
    public async Task A_client_without_a_valid_certificate_is_refused_when_required(string certificate)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (listener, endpoint) = await StartTlsListenerAsync(Settings(), TestCertificates.ServerCredentials(ClientCertificateMode.Required));
        await AssertRefusedAsync(endpoint, Certificate(certificate), ct);
        await AwaitStatsAsync(listener, stats => Assert.Equal(0, stats.Active));
    }

    [Theory]
    [InlineData("other CA")]
    [InlineData("expired")]
    [InlineData("server-auth only")]
    public async Task An_invalid_certificate_is_refused_even_when_optional(string certificate)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings(), TestCertificates.ServerCredentials(ClientCertificateMode.Optional));
        await AssertRefusedAsync(endpoint, Certificate(certificate), ct);
    }

    [Fact]
    public async Task No_certificate_is_served_when_optional()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings(), TestCertificates.ServerCredentials(ClientCertificateMode.Optional));
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        await client.AssertEchoesAsync(seed: 2, ct);
    }

    private static X509Certificate2? Certificate(string name) => name switch
    {
        "none" => null,
        "other CA" => TestCertificates.OtherCaClient(),
        "expired" => TestCertificates.ExpiredClient(),
        "server-auth only" => TestCertificates.ServerAuthOnlyClient(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>The handshake fails, or (TLS 1.3, where the client finishes before the server has judged its
    /// certificate) the first read ends or fails: never an echo.</summary>
    private async Task AssertRefusedAsync(IPEndPoint endpoint, X509Certificate2? certificate, CancellationToken ct)
    {
        TlsClient client;
        try
        {
            client = await TlsClient.ConnectAsync(endpoint, ct, certificate);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            Output?.WriteLine($"refused at the handshake: {e.Message}");
            return;
        }
        await using (client)
        {
            var failure = await Record.ExceptionAsync(async () =>
            {
                await client.SendAsync(LoopbackClient.RandomBytes(100, 1), ct);
                if (await client.Stream.ReadAsync(new byte[100], ct) == 0)
                    throw new IOException("closed without an echo");
            });
            Output?.WriteLine($"refused after the client's handshake: {failure?.Message}");
            Assert.True(failure is IOException or AuthenticationException, $"the client was served ({failure})");
        }
    }
}
