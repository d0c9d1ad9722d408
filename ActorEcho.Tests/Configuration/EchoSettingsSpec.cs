using ActorEcho.Configuration;
using Akka.Configuration;

namespace ActorEcho.Tests.Configuration;

public sealed class EchoSettingsSpec
{
    [Fact]
    public void The_shipped_defaults_match_the_documented_values_and_the_record_defaults()
    {
        var settings = EchoSettings.Create(ConfigLoader.Defaults);

        var documented = new EchoSettings
        {
            BindAddress = "127.0.0.1:2000",
            Backlog = ActorEcho.Networking.ListenBacklog.OsMaximum(), // backlog = max
            AcceptQueues = 1,
            InlineSocketCompletions = true,
            MaxConnections = 10_000,
            IdleTimeout = TimeSpan.FromMinutes(5),
            WriteHighWatermark = 128 * 1024,
            WriteLowWatermark = 32 * 1024,
            MaxBufferedBytes = MemoryBound.AutoBudget(), // max-buffered-bytes = auto
            DrainTimeout = TimeSpan.FromSeconds(10),
            DrainLinger = TimeSpan.FromSeconds(2),
            DrainQuiet = TimeSpan.FromMilliseconds(500),
            SocketReceiveBufferSize = null,
            SocketSendBufferSize = null,
        };
        Assert.Equal(documented, settings);
        // The record's own initialisers are what tests and code that build settings by hand get: they must
        // not drift from akka.hocon.
        Assert.Equal(new EchoSettings { BindAddress = "127.0.0.1:2000" }, settings);
    }

    [Fact]
    public void Reads_overridden_values()
    {
        var settings = FromHocon("""
            actor-echo {
              bind-address = "[::1]:0"
              backlog = 16
              max-connections = 2
              idle-timeout = 750ms
              write-high-watermark = 1 MiB
              write-low-watermark = 256 KiB
              drain-timeout = 3s
              drain-linger = 500ms
              drain-quiet = 250ms
              socket-receive-buffer-size = 256 KiB
              socket-send-buffer-size = 128 KiB
              max-connection-duration = 1h
              max-bytes-per-connection = 8 GiB
            }
            """);

        Assert.Equal(new EchoSettings
        {
            BindAddress = "[::1]:0",
            Backlog = 16,
            MaxConnections = 2,
            IdleTimeout = TimeSpan.FromMilliseconds(750),
            WriteHighWatermark = 1024 * 1024,
            WriteLowWatermark = 256 * 1024,
            DrainTimeout = TimeSpan.FromSeconds(3),
            DrainLinger = TimeSpan.FromMilliseconds(500),
            DrainQuiet = TimeSpan.FromMilliseconds(250),
            SocketReceiveBufferSize = 256 * 1024,
            SocketSendBufferSize = 128 * 1024,
            MaxConnectionDuration = TimeSpan.FromHours(1),
            MaxBytesPerConnection = 8L * 1024 * 1024 * 1024,
        }, settings);
    }

    [Theory]
    [InlineData("max-buffered-bytes = 8 MiB", 8L * 1024 * 1024)]
    [InlineData("max-buffered-bytes = 6 GiB", 6L * 1024 * 1024 * 1024)]
    public void Reads_the_budget(string line, long expected) =>
        Assert.Equal(expected, FromHocon($"actor-echo {{ {line} }}").MaxBufferedBytes);

    [Fact]
    public void The_auto_budget_is_an_eighth_of_the_memory_available_at_most_64_MiB()
    {
        Assert.Equal(MemoryBound.AutoBudget(), FromHocon("actor-echo { max-buffered-bytes = auto }").MaxBufferedBytes);
        Assert.Equal(Math.Min(64L * 1024 * 1024, MemoryBound.AvailableToProcess() / 8), MemoryBound.AutoBudget());
    }

    [Fact]
    public void The_memory_bound_is_two_frames_and_the_state_per_connection_plus_the_budget()
    {
        var settings = new EchoSettings { MaxConnections = 1000, MaxBufferedBytes = 10_000_000 };
        var bound = MemoryBound.For(settings, maximumFrameSize: 16 * 1024);
        Assert.Equal(1000L * (2 * 16 * 1024 + MemoryBound.ConnectionStateBytes) + 10_000_000, bound.WorstCaseBytes);
        // ArrayPool.Shared rents a power of two: a 20,000-byte frame costs 32 KiB.
        Assert.Equal(1000L * (2 * 32 * 1024 + MemoryBound.ConnectionStateBytes) + 10_000_000,
            MemoryBound.For(settings, maximumFrameSize: 20_000).WorstCaseBytes);
        Assert.Equal(bound.WorstCaseBytes <= bound.AvailableBytes, bound.Fits);
        // The UDP echo, when on, adds its own bounds: replies in flight and waiting datagrams, and its sources.
        var withUdp = settings with { Udp = settings.Udp with { BindAddress = "127.0.0.1:0" } };
        Assert.Equal(bound.WorstCaseBytes + (1024L + 1024) * 1472 + 10_000 * 256,
            MemoryBound.For(withUdp, maximumFrameSize: 16 * 1024).WorstCaseBytes);
        // The TLS listener, when on, adds max-connections of its own, each a plain share plus TLS's (256 KiB).
        var withTls = settings with { Tls = settings.Tls with { BindAddress = "127.0.0.1:0" } };
        Assert.Equal(256 * 1024, MemoryBound.TlsConnectionBytes);
        Assert.Equal(1000L * (2 * 16 * 1024 + MemoryBound.ConnectionStateBytes + 256 * 1024),
            MemoryBound.TlsBytes(withTls, maximumFrameSize: 16 * 1024));
        Assert.Equal(bound.WorstCaseBytes + MemoryBound.TlsBytes(withTls, maximumFrameSize: 16 * 1024),
            MemoryBound.For(withTls, maximumFrameSize: 16 * 1024).WorstCaseBytes);
        Assert.Equal(0, MemoryBound.TlsBytes(settings, maximumFrameSize: 16 * 1024));
    }

    [Theory]
    [InlineData("idle-timeout = off")]
    [InlineData("idle-timeout = false")]
    [InlineData("idle-timeout = OFF")]
    public void An_idle_timeout_of_off_means_none(string line)
    {
        Assert.Null(FromHocon($"actor-echo {{ {line} }}").IdleTimeout);
    }

    /// <summary>Range errors name the key; values Akka's parser cannot read at all are named by the value
    /// (its message does not say which key held it).</summary>
    [Theory]
    // The low watermark must be strictly below the high one (the default high is 128 KiB).
    [InlineData("write-low-watermark = 128 KiB", "write-low-watermark")]
    [InlineData("write-low-watermark = 200 KiB", "write-low-watermark")]
    [InlineData("backlog = -1", "backlog")]
    [InlineData("backlog = 0", "backlog")]
    [InlineData("max-connections = -5", "max-connections")]
    [InlineData("max-connections = many", "max-connections")]
    [InlineData("write-high-watermark = -64 KiB", "write-high-watermark")]
    [InlineData("write-high-watermark = 0", "write-high-watermark")]
    [InlineData("write-high-watermark = lots", "'lots'")]
    [InlineData("write-high-watermark = 12 parsecs", "parsecs")]
    [InlineData("write-high-watermark = 4 GiB", "write-high-watermark")]
    [InlineData("socket-send-buffer-size = big", "'big'")]
    [InlineData("max-buffered-bytes = 0", "max-buffered-bytes")]
    [InlineData("max-buffered-bytes = -1 MiB", "max-buffered-bytes")]
    [InlineData("max-buffered-bytes = plenty", "'plenty'")]
    [InlineData("drain-timeout = 0s", "drain-timeout")]
    [InlineData("drain-quiet = 0s", "drain-quiet")]
    [InlineData("drain-timeout = -1s", "-1s")]
    [InlineData("drain-timeout = soon", "'soon'")]
    [InlineData("idle-timeout = -3s", "-3s")]
    [InlineData("max-connection-duration = 0s", "max-connection-duration")]
    [InlineData("max-connection-duration = -1m", "max-connection-duration")]
    [InlineData("max-bytes-per-connection = 0", "max-bytes-per-connection")]
    [InlineData("max-bytes-per-connection = -5 MiB", "max-bytes-per-connection")]
    [InlineData("bind-address = \"\"", "bind-address")]
    public void Rejects_bad_values_with_a_one_line_message(string line, string expectedFragment)
    {
        var error = Assert.Throws<SettingsException>(() => FromHocon($"actor-echo {{ {line} }}"));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        Assert.Contains(expectedFragment, error.Message);
    }

    [Fact]
    public void A_configuration_without_the_section_is_rejected()
    {
        var error = Assert.Throws<SettingsException>(() =>
            EchoSettings.Create(ConfigurationFactory.ParseString("akka.loglevel = INFO")));
        Assert.Contains("actor-echo", error.Message);
    }

    [Fact]
    public void A_missing_key_is_named()
    {
        var error = Assert.Throws<SettingsException>(() =>
            EchoSettings.Create(ConfigurationFactory.ParseString("actor-echo { bind-address = \"127.0.0.1:0\" }")));
        Assert.Contains("actor-echo.", error.Message);
        Assert.Contains("is missing", error.Message);
    }

    [Fact]
    public void Invalid_hocon_text_is_a_one_line_settings_error_naming_its_origin()
    {
        var error = Assert.Throws<SettingsException>(() => ConfigLoader.Parse("actor-echo { backlog = ${no-such-key} }", "test.hocon"));
        Assert.Contains("test.hocon", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    /// <summary>The way the host reads a user's file: the text over the shipped defaults.</summary>
    private static EchoSettings FromHocon(string text) =>
        EchoSettings.Create(ConfigLoader.Parse(text, "test").WithFallback(ConfigLoader.Defaults));
}
