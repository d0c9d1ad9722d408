using System.Net;
using ActorEcho.TcpEcho;

namespace ActorEcho.Tests.Actors;

/// <summary>The live view's table without actors: what is open, and the byte totals, which keep what closed
/// connections moved.</summary>
public sealed class ConnectionTableSpec
{
    private static ConnectionView View(string id) =>
        new(id, "127.0.0.1:7", "tcp", new IPEndPoint(IPAddress.Loopback, 40_000), ConnectionState.Echoing);

    [Fact]
    public void Open_lists_the_views_added_and_not_removed_and_total_bytes_include_the_closed_ones()
    {
        var table = new ConnectionTable();
        var first = View("tcp-1");
        var second = View("tcp-2");
        table.Add(first);
        table.Add(second);
        first.Received(100);
        first.Sent(60);
        second.Received(7);
        Assert.Equal(2, table.Count);
        Assert.Equal((107L, 60L), table.TotalBytes());

        table.Remove(first);
        Assert.Equal([second], table.Open);
        Assert.Equal((107L, 60L), table.TotalBytes());
        second.Sent(7);
        Assert.Equal((107L, 67L), table.TotalBytes());

        // A second removal counts nothing twice.
        table.Remove(first);
        table.Remove(second);
        Assert.Equal(0, table.Count);
        Assert.Empty(table.Open);
        Assert.Equal((107L, 67L), table.TotalBytes());
    }

    [Fact]
    public void A_view_shows_its_state_the_client_a_proxy_header_named_and_the_tls_negotiated()
    {
        var view = View("tls-3");
        Assert.Equal("echoing", view.StateText);
        Assert.Null(view.Via);
        view.MoveTo(ConnectionState.PausedByWindow);
        Assert.Equal("paused-by-window", view.StateText);
        view.ClientNamed(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 5000), new IPEndPoint(IPAddress.Loopback, 40_000));
        Assert.Equal("198.51.100.7:5000", view.Client);
        Assert.Equal(IPAddress.Parse("198.51.100.7"), view.ClientAddress);
        Assert.Equal("127.0.0.1:40000", view.Via);
        var tls = new NegotiatedTls("TLSv1.3", "TLS_AES_128_GCM_SHA256", "-", "-");
        view.Negotiated(tls);
        Assert.Same(tls, view.Tls);
        Assert.True(View("tls-4").Sequence > view.Sequence);
    }
}
