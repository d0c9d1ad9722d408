using ActorEcho.Configuration;
using ActorEcho.Diagnostics;
using Akka.Configuration;

namespace ActorEcho.Tests.Operations;

/// <summary>The operations keys of <c>actor-echo</c>: http-endpoint, lame-duck, reuse-port — defaults and checks.</summary>
public sealed class OperationsSettingsSpec
{
    [Fact]
    public void Defaults_are_off()
    {
        var settings = EchoSettings.Create(ConfigLoader.Defaults);
        Assert.Null(settings.HttpEndpoint);
        Assert.Null(settings.LameDuck);
        Assert.False(settings.ReusePort);
    }

    [Fact]
    public void Http_endpoint_takes_an_ip_or_localhost_and_a_port()
    {
        Assert.Equal(new Uri("http://127.0.0.1:9464"), With("http-endpoint = \"http://127.0.0.1:9464\"").HttpEndpoint);
        Assert.Equal(new Uri("http://[::1]:0/"), With("http-endpoint = \"http://[::1]:0\"").HttpEndpoint);
        Assert.Equal(new Uri("http://localhost:9464/"), With("http-endpoint = \"http://localhost:9464/\"").HttpEndpoint);
        foreach (var bad in new[] { "\"https://127.0.0.1:1\"", "\"http://example.com:1\"", "\"http://127.0.0.1:1/x\"", "\"http://127.0.0.1:1/?a=b\"", "1" })
        {
            var error = Assert.Throws<SettingsException>(() => With($"http-endpoint = {bad}"));
            Assert.DoesNotContain('\n', error.Message);
        }
    }

    [Fact]
    public void Log_format_is_text_by_default_or_json()
    {
        Assert.Equal(LogFormat.Text, EchoSettings.Create(ConfigLoader.Defaults).LogFormat);
        Assert.Equal(LogFormat.Json, With("log-format = json").LogFormat);
        var error = Assert.Throws<SettingsException>(() => With("log-format = xml"));
        Assert.Equal("actor-echo.log-format must be 'text' or 'json', got 'xml'", error.Message);
    }

    [Fact]
    public void Lame_duck_is_off_or_a_positive_duration()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), With("lame-duck = 5s").LameDuck);
        Assert.Null(With("lame-duck = off").LameDuck);
        Assert.Throws<SettingsException>(() => With("lame-duck = 0s"));
        Assert.Throws<SettingsException>(() => With("lame-duck = soon"));
    }

    [Fact]
    public void Reuse_port_is_a_boolean_refused_off_linux()
    {
        if (OperatingSystem.IsLinux())
            Assert.True(With("reuse-port = on").ReusePort);
        else
            Assert.Contains("Linux only", Assert.Throws<SettingsException>(() => With("reuse-port = on")).Message);
        Assert.False(With("reuse-port = off").ReusePort);
        Assert.Throws<SettingsException>(() => With("reuse-port = maybe"));
    }

    private static EchoSettings With(string hocon) =>
        EchoSettings.Create(ConfigurationFactory.ParseString($"actor-echo.{hocon}")
            .WithFallback(ConfigLoader.Defaults));
}
