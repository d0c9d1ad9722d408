using System.Net;
using ActorEcho.Cli;
using ActorEcho.LoadEngine;
using ActorEcho.Tests.Support;

namespace ActorEcho.Tests.Cli;

/// <summary>The address <c>client</c> and <c>bench</c> are given: how it is written is the user's input (exit 2),
/// whether the name resolves is the network's (exit 3).</summary>
public sealed class TargetAddressSpec
{
    [Theory]
    [InlineData("127.0.0.1:2000", "127.0.0.1:2000")]
    [InlineData(" [::1]:2000 ", "[::1]:2000")]
    public async Task Literal_addresses_resolve_to_themselves(string text, string expected)
    {
        Assert.Equal(IPEndPoint.Parse(expected), await TargetAddress.ResolveAsync(text));
    }

    [Theory]
    [InlineData("127.0.0.1", "expected host:port")]
    [InlineData("127.0.0.1:0", "port 0 cannot be connected to")]
    [InlineData("[127.0.0.1]:2000", "brackets are for IPv6")]
    [InlineData("[::1]:0", "port 0 cannot be connected to")]
    public async Task Malformed_addresses_are_bad_input(string text, string message)
    {
        var failure = await Assert.ThrowsAsync<EchoFailureException>(() => TargetAddress.ResolveAsync(text));

        Assert.Equal(EchoFailureKind.BadAddress, failure.Kind);
        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_a_network_failure()
    {
        var ct = Deadline.After(TimeSpan.FromSeconds(30));

        var failure = await Assert.ThrowsAsync<EchoFailureException>(() => TargetAddress.ResolveAsync("no-such-host.invalid:2000", ct));

        Assert.Equal(EchoFailureKind.Network, failure.Kind);
        Assert.Contains("no-such-host.invalid", failure.Message);
    }
}
