using ActorEcho.Configuration;

namespace ActorEcho.Tests.Configuration;

/// <summary><see cref="DescriptorBound"/>: max-connections under the open-file limit, beside the runtime's reserve, the
/// listening sockets, UDP's and the HTTP endpoint's allowance; split evenly between TCP and TLS when both are on.</summary>
public sealed class DescriptorBoundSpec
{
    private static EchoSettings Settings(string lines = "") =>
        EchoSettings.Create(ConfigLoader.Parse(lines, "test").WithFallback(ConfigLoader.Defaults));

    [Fact]
    public void A_limit_with_room_for_max_connections_changes_nothing()
    {
        var bound = DescriptorBound.For(Settings(), limit: 65536, reserve: 200);

        Assert.False(bound.Lowered);
        Assert.Equal(10_000, bound.TcpMaxConnections);
        Assert.Equal(0, bound.TlsMaxConnections);
        Assert.Equal(10_201, bound.UsedAtMost);
        Assert.Equal("descriptors: limit 65536, used at most 10201 (reserve 200 + listening and fixed 1 + connections 10000)", bound.Describe());
    }

    [Fact]
    public void A_low_limit_lowers_max_connections_to_what_fits()
    {
        var bound = DescriptorBound.For(Settings(), limit: 256, reserve: 200);

        Assert.True(bound.Lowered);
        Assert.Equal(55, bound.TcpMaxConnections);
        Assert.Equal(256, bound.UsedAtMost);
        Assert.Contains("open-file limit 256", bound.LoweredWarning(Settings()));
    }

    [Fact]
    public void TLS_UDP_and_the_HTTP_endpoint_count_and_the_rest_is_split_between_TCP_and_TLS()
    {
        var settings = Settings("""
            actor-echo.accept-queues = 2
            actor-echo.http-endpoint = "http://127.0.0.1:0"
            actor-echo.udp.bind-address = "127.0.0.1:0"
            actor-echo.tls { bind-address = "127.0.0.1:0", certificate = self-signed }
            """);

        var bound = DescriptorBound.For(settings, limit: 1024, reserve: 250);

        // 2 x 2 accept queues + Kestrel's listener + UDP's socket + 64 for Kestrel's connections.
        Assert.Equal(4 + 1 + 1 + DescriptorBound.HttpConnectionAllowance, bound.Fixed);
        Assert.Equal(1024 - 250 - bound.Fixed, bound.TcpMaxConnections + bound.TlsMaxConnections);
        Assert.InRange(bound.TcpMaxConnections - bound.TlsMaxConnections, -1, 1);
    }

    [Fact]
    public void A_limit_that_leaves_fewer_than_the_minimum_is_refused_naming_it()
    {
        var refused = Assert.Throws<SettingsException>(() => DescriptorBound.For(Settings(), limit: 205, reserve: 200));

        Assert.Contains("open-file limit 205", refused.Message);
        Assert.Contains("ulimit -n", refused.Message);
    }

    [Theory]
    [InlineData("actor-echo.descriptor-reserve = auto", null)]
    [InlineData("actor-echo.descriptor-reserve = 300", 300)]
    public void Descriptor_reserve_is_auto_or_a_number(string line, int? reserve) =>
        Assert.Equal(reserve, Settings(line).DescriptorReserve);

    [Fact]
    public void A_descriptor_reserve_that_is_not_a_number_is_refused() =>
        Assert.Contains("descriptor-reserve", Assert.Throws<SettingsException>(() => Settings("actor-echo.descriptor-reserve = lots")).Message);
}
