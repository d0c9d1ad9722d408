using System.Net;

namespace ActorEcho.Edge;

/// <summary>
/// Refused connections per source and reason, for <c>GET /sources</c>: at most <c>max-sources</c> sources, the one
/// refused least recently forgotten first (a flood from many addresses then keeps the table's size and the newest
/// sources, which are the ones an operator looks for). Counting a refusal is a dictionary look-up and a list move;
/// a new source costs its entry. Not thread-safe: the listener owns it, as it owns <see cref="SourceTable"/>.
/// </summary>
public sealed class SourceRefusalTable
{
    private sealed class Entry(IPAddress source)
    {
        public readonly IPAddress Source = source;
        public readonly Dictionary<string, long> ByReason = new(StringComparer.Ordinal);
    }

    private readonly Dictionary<IPAddress, LinkedListNode<Entry>> _entries = [];
    /// <summary>Most recently refused first.</summary>
    private readonly LinkedList<Entry> _recency = new();
    private int _maxSources;

    public SourceRefusalTable(int maxSources)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSources);
        _maxSources = maxSources;
    }

    /// <summary>A reload's new <c>max-sources</c>: a smaller one forgets the sources refused least recently at once.</summary>
    public void ChangeCapacity(int maxSources)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSources);
        _maxSources = maxSources;
        while (_entries.Count > _maxSources)
        {
            _entries.Remove(_recency.Last!.Value.Source);
            _recency.RemoveLast();
        }
    }

    /// <summary>Sources counted now.</summary>
    public int Count => _entries.Count;

    /// <summary>Counts one refusal of <paramref name="address"/> (keyed by <see cref="SourceTable.KeyOf"/>) for
    /// <paramref name="reason"/>, a <see cref="Refusal"/>.</summary>
    public void Refused(IPAddress address, string reason)
    {
        var key = SourceTable.KeyOf(address);
        if (_entries.TryGetValue(key, out var node))
            _recency.Remove(node);
        else
        {
            if (_entries.Count >= _maxSources)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Source);
                node = oldest; // reused: a flood of new sources allocates no list node
                node.Value = new Entry(key);
            }
            else
                node = new LinkedListNode<Entry>(new Entry(key));
            _entries.Add(key, node);
        }
        _recency.AddFirst(node);
        var counts = node.Value.ByReason;
        counts[reason] = counts.GetValueOrDefault(reason) + 1;
    }

    /// <summary>A copy of every source's counts, most recently refused first.</summary>
    public IReadOnlyList<SourceRefusalCount> Snapshot() =>
        _recency.Select(entry => new SourceRefusalCount(entry.Source, new Dictionary<string, long>(entry.ByReason))).ToArray();
}
