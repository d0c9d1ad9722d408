using ActorEcho.Configuration;
using Akka.Configuration;

namespace ActorEcho.Tests.UdpEcho;

public sealed class UdpEchoSettingsSpec
{
    private static Config With(string hocon) => ConfigurationFactory.ParseString(hocon).WithFallback(ConfigLoader.Defaults);

    [Fact]
    public void The_shipped_file_has_udp_off_and_the_same_defaults_as_the_record()
    {
        var settings = UdpEchoSettings.Create(ConfigLoader.Defaults);
        var record = new UdpEchoSettings();
        Assert.Null(settings.BindAddress);
        Assert.Equal(record with { RefusedSourcePorts = settings.RefusedSourcePorts }, settings);
        Assert.Equal(UdpEchoSettings.DefaultRefusedPortEntries, settings.RefusedSourcePorts.Entries);
        Assert.Null(EchoSettings.Create(ConfigLoader.Defaults).Udp.BindAddress);
    }

    [Fact]
    public void A_bind_address_and_limits_are_read_from_the_file()
    {
        var settings = UdpEchoSettings.Create(With("""
            actor-echo.udp {
              bind-address = "[::1]:0"
              max-datagram-size = 1000
              refused-source-ports = [19, "100-200"]
              per-source-packets-per-second = 7
              per-source-bytes-per-second = 2 KiB
              global-packets-per-second = 70
              drop-log-interval = 1m
            }
            """));
        Assert.Equal("[::1]:0", settings.BindAddress);
        Assert.Equal(1000, settings.MaxDatagramSize);
        Assert.True(settings.RefusedSourcePorts.IsRefused(19));
        Assert.True(settings.RefusedSourcePorts.IsRefused(150));
        Assert.False(settings.RefusedSourcePorts.IsRefused(7));
        Assert.Equal(7, settings.PerSourcePacketsPerSecond);
        Assert.Equal(2048, settings.PerSourceBytesPerSecond);
        Assert.Equal(70, settings.GlobalPacketsPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.DropLogInterval);
        Assert.Equal("[::1]:0", EchoSettings.Create(With("actor-echo.udp.bind-address = \"[::1]:0\"")).Udp.BindAddress);
    }

    [Theory]
    [InlineData("actor-echo.udp.max-datagram-size = 0", "max-datagram-size")]
    [InlineData("actor-echo.udp.max-datagram-size = 70000", "max-datagram-size")]
    [InlineData("actor-echo.udp.per-source-packets-per-second = -1", "per-source-packets-per-second")]
    [InlineData("actor-echo.udp.refused-source-ports = [\"7-x\"]", "refused-source-ports")]
    [InlineData("actor-echo.udp.drop-log-interval = forever", "drop-log-interval")]
    [InlineData("actor-echo.udp.per-source-bytes-per-second = 1000", "per-source-bytes-per-second")]
    [InlineData("actor-echo.udp { bind-address = \"127.0.0.1:0\", max-datagram-size = 2048 }", "buffer-size")]
    [InlineData("actor-echo.udp { bind-address = \"127.0.0.1:0\", max-datagram-size = 9000 }\nakka.io.udp.direct-buffer-pool.buffer-size = 9000", "buffer-size")]
    public void A_bad_value_is_a_one_line_error_naming_the_key(string hocon, string key)
    {
        var error = Assert.Throws<SettingsException>(() => UdpEchoSettings.Create(With(hocon)));
        Assert.Contains(key, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_larger_maximum_works_with_a_larger_akka_buffer()
    {
        var settings = UdpEchoSettings.Create(With("""
            actor-echo.udp { bind-address = "127.0.0.1:0", max-datagram-size = 9000, per-source-bytes-per-second = 1 MiB }
            akka.io.udp.direct-buffer-pool.buffer-size = 9001
            """));
        Assert.Equal(9000, settings.MaxDatagramSize);
    }
}
