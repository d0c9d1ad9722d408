using System.Security.Cryptography.X509Certificates;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;
using ActorEcho.Tls;
using Xunit.Abstractions;

namespace ActorEcho.Tests.Tls;

/// <summary>The certificate sources (PEM + key, PKCS#12 with a password from a named variable, self-signed) and
/// the one-line errors for the ones that cannot be used. Files are written to a temporary directory.</summary>
public sealed class TlsCredentialsSpec(ITestOutputHelper output) : TlsKit(output), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actor-echo-tls-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static TlsSettings On(string certificate, string? key = null) =>
        new() { BindAddress = "127.0.0.1:0", Certificate = certificate, PrivateKey = key };

    [Fact]
    public async Task A_PEM_certificate_and_key_serve_clients()
    {
        var (certificate, key) = TestCertificates.Pem(TestCertificates.Server);
        var settings = On(Write("server.crt", certificate + "\n" + TestCertificates.Ca.ExportCertificatePem() + "\n"), Write("server.key", key));

        var credentials = TlsServerCredentials.Load(settings, "127.0.0.1");

        Assert.True(credentials.Certificate.HasPrivateKey);
        Assert.Equal(TestCertificates.Server.Thumbprint, credentials.Certificate.Thumbprint);
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings(), credentials);
        await using var client = await TlsClient.ConnectAsync(endpoint, ct);
        await client.AssertEchoesAsync(seed: 1, ct);
    }

    [Fact]
    public async Task A_PKCS12_file_is_opened_with_the_password_from_the_named_variable()
    {
        var variable = $"ACTOR_ECHO_TEST_P12_{Guid.NewGuid():N}";
        var path = Path.Combine(_directory, "server.p12");
        await File.WriteAllBytesAsync(path, TestCertificates.Server.Export(X509ContentType.Pkcs12, "s3cret"));
        var settings = On(path) with { Pkcs12PasswordVariable = variable };

        var unset = Assert.Throws<SettingsException>(() => TlsServerCredentials.Load(settings, null));
        Assert.Contains(variable, unset.Message);
        Environment.SetEnvironmentVariable(variable, "wrong");
        try
        {
            var wrong = Assert.Throws<SettingsException>(() => TlsServerCredentials.Load(settings, null));
            Assert.DoesNotContain("wrong", wrong.Message);
            Environment.SetEnvironmentVariable(variable, "s3cret");
            var credentials = TlsServerCredentials.Load(settings, null);
            Assert.True(credentials.Certificate.HasPrivateKey);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Self_signed_names_the_loopback_and_the_bind_host_and_serves_a_client_that_does_not_verify()
    {
        var credentials = TlsServerCredentials.Load(On(TlsSettings.SelfSigned) with { BindAddress = "192.0.2.7:0" }, "192.0.2.7");

        var names = credentials.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.Equal(["127.0.0.1", "192.0.2.7", "::1"], names.EnumerateIPAddresses().Select(a => a.ToString()).Order(StringComparer.Ordinal).ToArray());
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", credentials.Fingerprint);
        var ct = Deadline.After(TimeSpan.FromSeconds(30));
        var (_, endpoint) = await StartTlsListenerAsync(Settings(), credentials);
        await using var client = await TlsClient.ConnectAsync(endpoint, ct, trustAny: true);
        await client.AssertEchoesAsync(seed: 2, ct);
    }

    [Fact]
    public void Unusable_files_are_one_line_settings_errors()
    {
        var (certificate, _) = TestCertificates.Pem(TestCertificates.Server);
        var pem = Write("only.crt", certificate);
        var otherKey = TestCertificates.Pem(TestCertificates.GoodClient()).Key;

        AssertOneLine(() => TlsServerCredentials.Load(On(Path.Combine(_directory, "missing.crt")), null), "missing.crt");
        AssertOneLine(() => TlsServerCredentials.Load(On(pem), null), "private-key");
        AssertOneLine(() => TlsServerCredentials.Load(On(pem, Write("other.key", otherKey)), null), "only.crt");
        var mismatch = Assert.Throws<SettingsException>(() => TlsServerCredentials.Load(On(pem, Write("other.key", otherKey)), null));
        Assert.DoesNotContain("(Parameter '", mismatch.Message); // .NET's parameter name names no setting
        AssertOneLine(() => TlsServerCredentials.Load(On(Write("junk.p12", "not a certificate")), null), "junk.p12");
        AssertOneLine(() => TlsServerCredentials.Load(On(TlsSettings.SelfSigned) with
        {
            ClientCertificate = ClientCertificateMode.Required,
            ClientCa = Write("empty-ca.pem", "nothing here"),
        }, null), "client-ca");
    }

    private static void AssertOneLine(Action load, string mentions)
    {
        var error = Assert.Throws<SettingsException>(load);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains(mentions, error.Message);
    }

    public new void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        base.Dispose();
    }
}
