using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ActorEcho.Tests.Support;
using ActorEcho.Tests.Tls;

namespace ActorEcho.Tests.Process;

/// <summary>
/// Issue 28's reload, end to end: the built host with a configuration file and a PEM certificate in a temporary
/// directory, SIGHUP from outside (kill), the reload's log line awaited on stderr. A lowered per-source limit
/// refuses a new client while the open ones keep echoing; a misspelt key is refused and the old limit stays; a new
/// certificate is presented to new handshakes while a TLS connection opened before it keeps echoing.
/// </summary>
public sealed partial class ReloadProcessSpec : IDisposable
{
    private const int SigHup = 1;
    private const int Clients = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-reload-process-").FullName;

    private string ConfigPath => Path.Combine(_directory, "echo.hocon");
    private string CertificatePath => Path.Combine(_directory, "server.pem");
    private string KeyPath => Path.Combine(_directory, "server.key");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task WriteConfigAsync(string perSource) => File.WriteAllTextAsync(ConfigPath, $$"""
        actor-echo {
          {{perSource}}
          # The files change only with the signal here; the watch has its own spec below.
          tls { bind-address = "127.0.0.1:0", certificate = "{{CertificatePath}}", private-key = "{{KeyPath}}", watch-certificates = off }
        }
        """);

    private async Task WriteCertificateAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var (pem, key) = TestCertificates.Pem(certificate);
        await File.WriteAllTextAsync(CertificatePath, pem);
        await File.WriteAllTextAsync(KeyPath, key);
    }

    [Fact]
    public async Task SIGHUP_lowers_the_per_source_limit_refuses_a_misspelt_key_and_serves_a_new_certificate_to_new_handshakes()
    {
        var ct = Deadline.After(Patience * 3);
        var first = TestCertificates.Issue(TestCertificates.Ca, "CN=before reload", TestCertificates.ServerAuth);
        var second = TestCertificates.Issue(TestCertificates.Ca, "CN=after reload", TestCertificates.ServerAuth);
        await WriteCertificateAsync(first);
        await WriteConfigAsync("per-source.max-connections = 100");
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0", "--config", ConfigPath]);
        var endpoint = await host.WaitListeningAsync(Patience);
        await host.WaitForLineAsync("Listening on tls ", Patience);
        var tlsEndpoint = IPEndPoint.Parse(TlsListeningLine().Match(host.StandardOutput).Groups[1].Value);

        var clients = new List<LoopbackClient>();
        for (var i = 0; i < Clients; i++)
        {
            clients.Add(await LoopbackClient.ConnectAsync(endpoint, ct));
            await clients[i].AssertEchoesAsync(seed: i, ct);
        }
        await using var tlsBefore = await TlsClient.ConnectAsync(tlsEndpoint, ct);
        Assert.Equal(first.SerialNumber, SerialOf(tlsBefore));
        await tlsBefore.AssertEchoesAsync(seed: 100, ct);

        // 1. The limit lowered under the 20 open: a new client from the same source is refused, the 20 echo on.
        await WriteConfigAsync("per-source.max-connections = 5");
        host.Signal(SigHup);
        await host.WaitForLineAsync("Reload applied: actor-echo.per-source.max-connections: 100 -> 5", Patience);
        await AssertRefusedAsync(endpoint, ct);
        await AssertAllEchoAsync(clients, seed: 200, ct);

        // 2. A misspelt key: refused whole, the limit of 5 still in force, the process up.
        await WriteConfigAsync("per-source.max-conections = 50");
        host.Signal(SigHup);
        await host.WaitForLineAsync("Reload rejected: ", Patience);
        Assert.Contains("per-source.max-conections", host.StandardError);
        await AssertRefusedAsync(endpoint, ct);
        await AssertAllEchoAsync(clients, seed: 300, ct);

        // 3. A new certificate in the same files: new handshakes get it, the TLS connection opened before echoes on.
        await WriteCertificateAsync(second);
        await WriteConfigAsync("per-source.max-connections = 5");
        host.Signal(SigHup);
        await host.WaitForLineAsync("Reload applied: TLS certificate: ", Patience);
        await using (var tlsAfter = await TlsClient.ConnectAsync(tlsEndpoint, ct))
        {
            Assert.Equal(second.SerialNumber, SerialOf(tlsAfter));
            await tlsAfter.AssertEchoesAsync(seed: 400, ct);
        }
        await tlsBefore.AssertEchoesAsync(seed: 500, ct);
        await AssertAllEchoAsync(clients, seed: 600, ct);

        Assert.DoesNotContain("Exception", host.StandardError);
        foreach (var client in clients)
            client.Dispose();
    }

    [Fact]
    public async Task A_Kubernetes_secret_updated_by_its_symlink_swap_is_served_to_new_handshakes_without_a_signal()
    {
        var ct = Deadline.After(Patience * 3);
        var first = TestCertificates.Issue(TestCertificates.Ca, "CN=first secret", TestCertificates.ServerAuth);
        // Valid for longer than the first, as a renewal is: the expiry gauge must move.
        var second = TestCertificates.Issue(TestCertificates.Ca, "CN=second secret", TestCertificates.ServerAuth,
            notAfter: DateTimeOffset.UtcNow.AddMonths(3));
        // A Secret volume as the kubelet lays it out: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/.
        var secret = Directory.CreateDirectory(Path.Combine(_directory, "secret")).FullName;
        await WriteSecretVersionAsync(secret, "..2026_12_06_01", first);
        File.CreateSymbolicLink(Path.Combine(secret, "..data"), "..2026_12_06_01");
        File.CreateSymbolicLink(Path.Combine(secret, "tls.crt"), "..data/tls.crt");
        File.CreateSymbolicLink(Path.Combine(secret, "tls.key"), "..data/tls.key");
        await File.WriteAllTextAsync(ConfigPath, $$"""
            actor-echo.http-endpoint = "http://127.0.0.1:0"
            actor-echo.tls { bind-address = "127.0.0.1:0", certificate = "{{secret}}/tls.crt", private-key = "{{secret}}/tls.key" }
            """, ct);
        await using var host = HostProcess.Start(["serve", "127.0.0.1:0", "--config", ConfigPath]);
        await host.WaitListeningAsync(Patience);
        await host.WaitForLineAsync("Listening on tls ", Patience);
        await host.WaitForLineAsync("Serving HTTP on", Patience);
        var tlsEndpoint = IPEndPoint.Parse(TlsListeningLine().Match(host.StandardOutput).Groups[1].Value);
        var metrics = new Uri(new Uri(HttpLine().Match(host.StandardError).Groups[1].Value), "/metrics");
        using var http = new HttpClient();
        await using var before = await TlsClient.ConnectAsync(tlsEndpoint, ct);
        Assert.Equal(first.SerialNumber, SerialOf(before));
        Assert.Equal(UnixSeconds(first), await NotAfterAsync(http, metrics, ct));

        // The kubelet's update: the new version's directory, a temporary link to it renamed over ..data, the old
        // version removed. No file the configuration names is written.
        await WriteSecretVersionAsync(secret, "..2026_12_06_02", second);
        File.CreateSymbolicLink(Path.Combine(secret, "..data_tmp"), "..2026_12_06_02");
        // rename(2) itself: File.Move follows a link to a directory and refuses it.
        Assert.Equal(0, rename(Path.Combine(secret, "..data_tmp"), Path.Combine(secret, "..data")));
        Directory.Delete(Path.Combine(secret, "..2026_12_06_01"), recursive: true);

        await host.WaitForLineAsync("Reload applied (certificate files changed): TLS certificate: ", Patience);
        await using (var after = await TlsClient.ConnectAsync(tlsEndpoint, ct))
        {
            Assert.Equal(second.SerialNumber, SerialOf(after));
            await after.AssertEchoesAsync(seed: 1, ct);
        }
        await before.AssertEchoesAsync(seed: 2, ct);
        Assert.Equal(UnixSeconds(second), await NotAfterAsync(http, metrics, ct)); // the expiry gauge follows
        Assert.DoesNotContain("Exception", host.StandardError);
        Assert.DoesNotContain("Reload rejected", host.StandardError);
    }

    private static long UnixSeconds(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds();

    private static async Task<long> NotAfterAsync(HttpClient http, Uri metrics, CancellationToken ct) =>
        (long)PrometheusText.Sample(await http.GetStringAsync(metrics, ct), "actorecho_tls_certificate_not_after_seconds");

    private static async Task WriteSecretVersionAsync(string secret, string version,
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var directory = Directory.CreateDirectory(Path.Combine(secret, version)).FullName;
        var (pem, key) = TestCertificates.Pem(certificate);
        await File.WriteAllTextAsync(Path.Combine(directory, "tls.crt"), pem);
        await File.WriteAllTextAsync(Path.Combine(directory, "tls.key"), key);
    }

    private static string? SerialOf(TlsClient client) => client.Stream.RemoteCertificate?.GetSerialNumberString();

    private static async Task AssertRefusedAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        using var refused = await LoopbackClient.ConnectAsync(endpoint, ct);
        Assert.Equal((ConnectionEnd.Eof, 0L), await refused.ReadToEndAsync(ct));
    }

    private static async Task AssertAllEchoAsync(List<LoopbackClient> clients, int seed, CancellationToken ct)
    {
        foreach (var client in clients)
            await client.AssertEchoesAsync(seed++, ct);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldPath, string newPath);

    [GeneratedRegex(@"Serving HTTP on (http://\S+)")]
    private static partial Regex HttpLine();

    [GeneratedRegex(@"(?m)^Listening on tls (\S+)$")]
    private static partial Regex TlsListeningLine();
}
