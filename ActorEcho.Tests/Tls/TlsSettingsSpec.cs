using ActorEcho.Configuration;
using Akka.Configuration;

namespace ActorEcho.Tests.Tls;

/// <summary><c>actor-echo.tls</c>: off by default; bad values and keys that do not fit together are one-line errors.</summary>
public sealed class TlsSettingsSpec
{
    private static TlsSettings Read(string tls) =>
        TlsSettings.Create(ConfigurationFactory.ParseString($"actor-echo.tls {{ {tls} }}").WithFallback(ConfigLoader.Defaults));

    [Fact]
    public void The_shipped_settings_have_TLS_off()
    {
        var settings = EchoSettings.Create(ConfigLoader.Defaults).Tls;
        Assert.False(settings.IsOn);
        Assert.Equal(ClientCertificateMode.Off, settings.ClientCertificate);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.HandshakeTimeout);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var settings = Read("""
            bind-address = "127.0.0.1:2443", certificate = "/etc/echo/server.p12", pkcs12-password-env = ECHO_P12,
            client-certificate = required, client-ca = "/etc/echo/ca.pem", handshake-timeout = 3s
            """);
        Assert.Equal("127.0.0.1:2443", settings.BindAddress);
        Assert.Equal("/etc/echo/server.p12", settings.Certificate);
        Assert.Equal("ECHO_P12", settings.Pkcs12PasswordVariable);
        Assert.Equal(ClientCertificateMode.Required, settings.ClientCertificate);
        Assert.Equal("/etc/echo/ca.pem", settings.ClientCa);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.HandshakeTimeout);
    }

    [Theory]
    [InlineData("bind-address = \"127.0.0.1:2443\"", "certificate")]
    [InlineData("bind-address = \"127.0.0.1:2443\", certificate = self-signed, client-certificate = optional", "client-ca")]
    [InlineData("client-certificate = sometimes", "client-certificate")]
    [InlineData("handshake-timeout = 0s", "handshake-timeout")]
    [InlineData("handshake-timeout = soon", "handshake-timeout")]
    public void Bad_settings_are_one_line_errors(string tls, string mentions)
    {
        var error = Assert.Throws<SettingsException>(() => Read(tls));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains(mentions, error.Message);
    }

    [Fact]
    public void The_command_lines_address_turns_TLS_on_and_is_checked()
    {
        var error = Assert.Throws<SettingsException>(() => TlsSettings.Off.WithBindAddress("127.0.0.1:0"));
        Assert.Contains("certificate", error.Message);
        var on = (TlsSettings.Off with { Certificate = TlsSettings.SelfSigned }).WithBindAddress(" 127.0.0.1:0 ");
        Assert.Equal("127.0.0.1:0", on.BindAddress);
    }
}
