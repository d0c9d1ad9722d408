using System.Net;
using ActorEcho.Edge;
using ActorEcho.Tests.UdpEcho;

namespace ActorEcho.Tests.Edge;

/// <summary>The per-source table on a manual clock: limits, the connect rate's bucket, the bound, IPv6 keys.</summary>
public sealed class SourceTableSpec
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void Counts_open_connections_per_source_and_frees_a_slot_when_one_ends()
    {
        var table = new SourceTable(maxConnections: 2, connectRate: null, maxSources: 10, new ManualTime());
        Assert.Null(table.TryOpen(A));
        Assert.Null(table.TryOpen(A));
        Assert.Equal(Refusal.PerSourceLimit, table.TryOpen(A));
        Assert.Null(table.TryOpen(B)); // another source is not affected
        table.Closed(A);
        Assert.Null(table.TryOpen(A));
    }

    [Fact]
    public void Limits_the_connect_rate_with_a_burst_of_one_seconds_worth()
    {
        var time = new ManualTime();
        var table = new SourceTable(maxConnections: null, connectRate: 5, maxSources: 10, time);
        for (var i = 0; i < 5; i++)
            Assert.Null(table.TryOpen(A));
        Assert.Equal(Refusal.ConnectRate, table.TryOpen(A));
        time.Advance(TimeSpan.FromMilliseconds(200)); // one token back
        Assert.Null(table.TryOpen(A));
        Assert.Equal(Refusal.ConnectRate, table.TryOpen(A));
    }

    [Fact]
    public void Is_bounded_forgets_sources_with_nothing_open_and_refuses_new_ones_while_full_of_live_ones()
    {
        var time = new ManualTime();
        var table = new SourceTable(maxConnections: 10, connectRate: null, maxSources: 2, time);
        Assert.Null(table.TryOpen(A));
        Assert.Null(table.TryOpen(B));
        Assert.Equal(Refusal.SourceTableFull, table.TryOpen(IPAddress.Parse("192.0.2.3")));
        table.Closed(A); // nothing open, no bucket: forgotten at once
        Assert.Equal(1, table.Count);
        Assert.Null(table.TryOpen(IPAddress.Parse("192.0.2.3")));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void A_rate_limited_source_is_forgotten_once_its_bucket_refilled()
    {
        var time = new ManualTime();
        var table = new SourceTable(maxConnections: null, connectRate: 1, maxSources: 1, time);
        Assert.Null(table.TryOpen(A));
        table.Closed(A); // its bucket is empty: kept, or A could reconnect at once with a fresh one
        Assert.Equal(1, table.Count);
        Assert.Equal(Refusal.ConnectRate, table.TryOpen(A));
        Assert.Equal(Refusal.SourceTableFull, table.TryOpen(B));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(table.TryOpen(B)); // the sweep forgot A
    }

    [Theory]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")]
    [InlineData("::1", "::")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")] // IPv4-mapped counts as IPv4
    [InlineData("192.0.2.1", "192.0.2.1")]
    public void Keys_IPv6_by_its_64_and_IPv4_by_its_address(string address, string key) =>
        Assert.Equal(IPAddress.Parse(key), SourceTable.KeyOf(IPAddress.Parse(address)));
}
