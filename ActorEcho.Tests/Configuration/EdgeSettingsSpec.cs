using System.Net;
using ActorEcho.Configuration;

namespace ActorEcho.Tests.Configuration;

/// <summary>The edge keys (PROXY protocol, per-source limits, allow and deny, access log): shipped defaults,
/// overrides, and one-line errors for bad values (the host turns those into exit code 2, see
/// <c>Process/EdgeProcessSpec</c/>).</summary>
public sealed class EdgeSettingsSpec
{
    [Fact]
    public void The_shipped_defaults_are_the_documented_ones_and_the_records()
    {
        var edge = EchoSettings.Create(ConfigLoader.Defaults).Edge;
        Assert.Equal(new EdgeSettings
        {
            ProxyProtocol = ProxyProtocolMode.Off,
            TrustedSources = AddressList.Empty,
            HeaderTimeout = TimeSpan.FromSeconds(5),
            PerSourceMaxConnections = null,
            PerSourceConnectRate = null,
            MaxSources = 10_000,
            Allow = AddressList.Empty,
            Deny = AddressList.Empty,
            AccessLog = false,
        }, edge);
        Assert.Equal(EdgeSettings.Off, edge);
        Assert.False(edge.LimitsPerSource);
    }

    [Fact]
    public void Reads_overridden_values()
    {
        var edge = FromHocon("""
            actor-echo {
              proxy-protocol { mode = v2, trusted-sources = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"], header-timeout = 750ms }
              per-source { max-connections = 50, connect-rate = 20, max-sources = 100 }
              allow = ["127.0.0.0/8", "::1"]
              deny = ["127.0.0.4/32"]
              access-log = on
            }
            """).Edge;

        Assert.Equal(ProxyProtocolMode.V2, edge.ProxyProtocol);
        Assert.Equal(3, edge.TrustedSources.Networks.Count);
        Assert.True(edge.TrustedSources.Contains(IPAddress.Parse("10.1.2.3")));
        Assert.True(edge.TrustedSources.Contains(IPAddress.Parse("::ffff:127.0.0.1"))); // IPv4-mapped counts as IPv4
        Assert.False(edge.TrustedSources.Contains(IPAddress.Parse("127.0.0.2")));
        Assert.Equal(TimeSpan.FromMilliseconds(750), edge.HeaderTimeout);
        Assert.Equal((50, 20, 100), (edge.PerSourceMaxConnections, edge.PerSourceConnectRate, edge.MaxSources));
        Assert.True(edge.Allow.Contains(IPAddress.IPv6Loopback));
        Assert.True(edge.Deny.Contains(IPAddress.Parse("127.0.0.4")));
        Assert.False(edge.Deny.Contains(IPAddress.Parse("127.0.0.5")));
        Assert.True(edge.AccessLog);
        Assert.True(edge.LimitsPerSource);
    }

    [Theory]
    [InlineData("v1", ProxyProtocolMode.V1)]
    [InlineData("V2", ProxyProtocolMode.V2)]
    [InlineData("any", ProxyProtocolMode.Any)]
    [InlineData("off", ProxyProtocolMode.Off)]
    public void Reads_each_mode(string text, ProxyProtocolMode mode) =>
        Assert.Equal(mode, FromHocon($"actor-echo.proxy-protocol {{ mode = {text}, trusted-sources = [\"127.0.0.1\"] }}").Edge.ProxyProtocol);

    [Theory]
    [InlineData("proxy-protocol.mode = v2", "proxy-protocol.trusted-sources must list")]
    [InlineData("proxy-protocol.mode = any", "proxy-protocol.trusted-sources must list")]
    [InlineData("proxy-protocol.mode = v3", "proxy-protocol.mode must be off, v1, v2 or any")]
    [InlineData("proxy-protocol.trusted-sources = [\"10.0.0.1/8\"]", "10.0.0.1/8")] // host bits set
    [InlineData("proxy-protocol.trusted-sources = [\"balancer\"]", "proxy-protocol.trusted-sources")]
    [InlineData("proxy-protocol.trusted-sources = [\"10.0.0.0/33\"]", "10.0.0.0/33")]
    [InlineData("proxy-protocol.header-timeout = 0s", "proxy-protocol.header-timeout")]
    [InlineData("proxy-protocol.header-timeout = soon", "'soon'")]
    [InlineData("per-source.max-connections = 0", "per-source.max-connections")]
    [InlineData("per-source.max-connections = many", "per-source.max-connections")]
    [InlineData("per-source.connect-rate = -1", "per-source.connect-rate")]
    [InlineData("per-source.max-sources = 0", "per-source.max-sources")]
    [InlineData("allow = [\"300.1.1.1\"]", "allow")]
    [InlineData("deny = [\"127.0.0.4/\"]", "deny")]
    [InlineData("access-log = sometimes", "access-log")]
    public void Rejects_bad_values_with_a_one_line_message(string line, string expectedFragment)
    {
        var error = Assert.Throws<SettingsException>(() => FromHocon($"actor-echo {{ {line} }}"));
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        Assert.Contains(expectedFragment, error.Message);
    }

    private static EchoSettings FromHocon(string text) =>
        EchoSettings.Create(ConfigLoader.Parse(text, "test").WithFallback(ConfigLoader.Defaults));
}
