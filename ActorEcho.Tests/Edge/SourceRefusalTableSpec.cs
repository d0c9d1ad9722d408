using System.Net;
using ActorEcho.Edge;

namespace ActorEcho.Tests.Edge;

/// <summary>The listener's refusals by source for <c>GET /sources</c>: counts by reason, sources keyed as the
/// per-source limits key them, at most max-sources kept, the least recently refused forgotten first.</summary>
public sealed class SourceRefusalTableSpec
{
    [Fact]
    public void Counts_by_source_and_reason_with_ipv6_by_its_64_and_mapped_ipv4_as_ipv4()
    {
        var table = new SourceRefusalTable(10);
        table.Refused(IPAddress.Parse("192.0.2.1"), Refusal.Denied);
        table.Refused(IPAddress.Parse("::ffff:192.0.2.1"), Refusal.Denied);
        table.Refused(IPAddress.Parse("192.0.2.1"), Refusal.ConnectRate);
        table.Refused(IPAddress.Parse("2001:db8::1"), Refusal.PerSourceLimit);
        table.Refused(IPAddress.Parse("2001:db8::2:3"), Refusal.PerSourceLimit);

        var snapshot = table.Snapshot();
        Assert.Equal(2, snapshot.Count);
        Assert.Equal(IPAddress.Parse("2001:db8::"), snapshot[0].Source);
        Assert.Equal(2, snapshot[0].ByReason[Refusal.PerSourceLimit]);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), snapshot[1].Source);
        Assert.Equal(new Dictionary<string, long> { [Refusal.Denied] = 2, [Refusal.ConnectRate] = 1 }, snapshot[1].ByReason);
    }

    [Fact]
    public void A_full_table_forgets_the_source_refused_least_recently_and_a_snapshot_does_not_change_after()
    {
        var table = new SourceRefusalTable(2);
        table.Refused(IPAddress.Parse("192.0.2.1"), Refusal.Denied);
        table.Refused(IPAddress.Parse("192.0.2.2"), Refusal.Denied);
        table.Refused(IPAddress.Parse("192.0.2.1"), Refusal.Denied); // .1 is now the most recent
        var before = table.Snapshot();
        table.Refused(IPAddress.Parse("192.0.2.3"), Refusal.NotAllowed);

        Assert.Equal(2, table.Count);
        Assert.Equal(new[] { "192.0.2.3", "192.0.2.1" }, table.Snapshot().Select(source => source.Source.ToString()));
        Assert.Equal(new[] { "192.0.2.1", "192.0.2.2" }, before.Select(source => source.Source.ToString()));
        Assert.Equal(2, before[0].ByReason[Refusal.Denied]);
    }

    [Fact]
    public void A_smaller_capacity_forgets_the_sources_refused_least_recently_and_a_larger_one_keeps_more()
    {
        var table = new SourceRefusalTable(3);
        foreach (var last in new[] { 1, 2, 3 })
            table.Refused(IPAddress.Parse($"192.0.2.{last}"), Refusal.Denied);

        table.ChangeCapacity(1); // a reload lowered max-sources
        Assert.Equal(new[] { "192.0.2.3" }, table.Snapshot().Select(source => source.Source.ToString()));

        table.ChangeCapacity(2);
        table.Refused(IPAddress.Parse("192.0.2.4"), Refusal.Denied);
        Assert.Equal(new[] { "192.0.2.4", "192.0.2.3" }, table.Snapshot().Select(source => source.Source.ToString()));
    }
}
