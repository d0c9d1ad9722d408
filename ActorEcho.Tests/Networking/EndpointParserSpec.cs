using System.Net;
using ActorEcho.Configuration;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Networking;

public sealed class EndpointParserSpec
{
    [Theory]
    [InlineData("127.0.0.1:2000", "127.0.0.1", 2000)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("  127.0.0.1:65535 ", "127.0.0.1", 65535)]
    [InlineData("[::1]:2000", "::1", 2000)]
    [InlineData("[::]:80", "::", 80)]
    [InlineData("[fe80::1%1]:9", "fe80::1%1", 9)]
    public async Task Parses_literal_addresses(string text, string address, int port)
    {
        var endpoint = await EndpointParser.ResolveAsync(text);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Fact]
    public async Task Resolves_localhost_to_a_loopback_address_preferring_ipv4()
    {
        var endpoint = await EndpointParser.ResolveAsync("localhost:0");
        Assert.True(IPAddress.IsLoopback(endpoint.Address), $"{endpoint.Address} is not a loopback address");
        Assert.Equal(0, endpoint.Port);
        var localhostHasIPv4 = (await Dns.GetHostAddressesAsync("localhost"))
            .Any(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        if (localhostHasIPv4)
            Assert.Equal(IPAddress.Loopback, endpoint.Address);
    }

    [Theory]
    [InlineData("127.0.0.1", "expected host:port")]               // missing port
    [InlineData("127.0.0.1:", "expected host:port")]              // empty port
    [InlineData(":2000", "expected host:port")]                   // empty host
    [InlineData("", "expected host:port")]
    [InlineData("127.0.0.1:65536", "out of range")]
    [InlineData("127.0.0.1:99999999999", "invalid port")]        // does not even fit an int
    [InlineData("127.0.0.1:http", "invalid port")]               // non-numeric
    [InlineData("127.0.0.1:-1", "invalid port")]
    [InlineData("127.0.0.1:+80", "invalid port")]
    [InlineData("127.0.0.1: 80", "invalid port")]
    [InlineData("::1:2000", "in brackets")]                       // unbracketed IPv6
    [InlineData("[::1]", "expected [ipv6-address]:port")]
    [InlineData("[::1]2000", "expected [ipv6-address]:port")]
    [InlineData("[::1:2000", "expected [ipv6-address]:port")]
    [InlineData("[]:2000", "the host is empty")]
    [InlineData("[127.0.0.1]:2000", "brackets are for IPv6")]
    [InlineData("no-such-host.invalid:2000", "unknown host 'no-such-host.invalid'")]
    public async Task Rejects_invalid_addresses_with_a_one_line_message(string text, string expected)
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<SettingsException>(() => EndpointParser.ResolveAsync(text, ct));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
    }

    [Fact]
    public void Split_does_not_resolve_the_host()
    {
        Assert.Equal(("no-such-host.invalid", 2000), EndpointParser.Split("no-such-host.invalid:2000"));
        Assert.Equal(("::1", 0), EndpointParser.Split("[::1]:0"));
    }

    [Theory]
    [InlineData("127.0.0.1:2000")]
    [InlineData("[::1]:2000")]
    [InlineData("[2001:db8::5]:65535")]
    public async Task Formats_endpoints_the_way_they_are_parsed(string text)
    {
        var endpoint = await EndpointParser.ResolveAsync(text);
        Assert.Equal(text, EndpointParser.Format(endpoint));
    }

    [Fact]
    public void Formats_ipv4_clients_of_a_dual_stack_listener_as_ipv4()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 5000);
        Assert.Equal("127.0.0.1:5000", EndpointParser.Format(mapped));
    }

    [Fact]
    public void Formats_dns_endpoints_as_host_and_port()
    {
        Assert.Equal("example.test:80", EndpointParser.Format(new DnsEndPoint("example.test", 80)));
    }
}
