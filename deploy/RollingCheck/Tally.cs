namespace ActorEcho.RollingCheck;

/// <summary>Counts of the sessions run, shared by every worker.</summary>
internal sealed class Tally
{
    private readonly Lock _gate = new();
    private readonly List<string> _failures = [];
    private long _short, _bulk, _failed, _sent, _wrong;

    public bool Clean { get { lock (_gate) return _failed == 0 && _wrong == 0 && _short + _bulk > 0; } }

    public void Record(Sessions.Kind kind, long sent, long wrong, string? failure)
    {
        lock (_gate)
        {
            if (kind == Sessions.Kind.Short)
                _short++;
            else
                _bulk++;
            _sent += sent;
            _wrong += wrong;
            if (failure is null)
                return;
            _failed++;
            if (_failures.Count < 10)
                _failures.Add($"{DateTime.Now:HH:mm:ss.fff} {failure}");
        }
    }

    public IReadOnlyList<string> FirstFailures() { lock (_gate) return [.. _failures]; }

    public string Summary()
    {
        lock (_gate)
            return $"sessions: {_short + _bulk} ({_short} short, {_bulk} bulk), failed: {_failed}; " +
                   $"bytes sent: {_sent}, bytes wrong (differing, missing or extra): {_wrong}";
    }
}
