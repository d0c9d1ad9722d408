using System.Collections.Concurrent;

namespace ActorEcho.TcpEcho;

/// <summary>
/// The open connections of the server, plain and TLS, for the live view (<c>GET /connections</c>, the status page):
/// each <see cref="EchoConnection"/> adds its <see cref="ConnectionView"/> when it starts and removes it when it
/// stops, and keeps it up to date meanwhile. Publishing costs the echo a few field writes and no message; reading it
/// costs the reader one pass over the table. Made once by the host and shared by its listeners, as the budget is.
/// </summary>
public sealed class ConnectionTable
{
    private readonly ConcurrentDictionary<ConnectionView, byte> _open = new(ReferenceEqualityComparer.Instance);
    private long _closedBytesIn;
    private long _closedBytesOut;

    /// <summary>Connections open now.</summary>
    public int Count => _open.Count;

    /// <summary>The open connections, each read once, in no particular order.</summary>
    public IEnumerable<ConnectionView> Open => _open.Keys;

    /// <summary>Bytes read and echoed so far by every connection, open or closed, since the server started.</summary>
    public (long In, long Out) TotalBytes()
    {
        long bytesIn = Volatile.Read(ref _closedBytesIn), bytesOut = Volatile.Read(ref _closedBytesOut);
        foreach (var view in _open.Keys)
        {
            bytesIn += view.BytesIn;
            bytesOut += view.BytesOut;
        }
        return (bytesIn, bytesOut);
    }

    internal void Add(ConnectionView view) => _open.TryAdd(view, 0);

    /// <summary>The connection stopped: its bytes move to the closed connections' totals.</summary>
    internal void Remove(ConnectionView view)
    {
        if (!_open.TryRemove(view, out _))
            return;
        Interlocked.Add(ref _closedBytesIn, view.BytesIn);
        Interlocked.Add(ref _closedBytesOut, view.BytesOut);
    }
}
