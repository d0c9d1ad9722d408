namespace ActorEcho.Diagnostics;

/// <summary>
/// Holds the log back until the server is listening: if start-up fails (address in use, say), the user gets the
/// host's one-line explanation, not the log of the failure with its stack trace; once the server listens, what
/// was held is written out. One per host.
/// </summary>
public sealed class StartupLog
{
    /// <summary>Start-up entries held back at most (a start-up logs a handful).</summary>
    private const int HeldLimit = 1000;

    private readonly Lock _gate = new();
    private List<Action>? _held = [];

    public void Write(Action write)
    {
        lock (_gate)
        {
            if (_held is null)
                write();
            else if (_held.Count < HeldLimit)
                _held.Add(write);
        }
    }

    /// <summary>The server is listening: write what was held back and write directly from now on.</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_held is null)
                return;
            foreach (var write in _held)
                write();
            _held = null;
        }
    }

    /// <summary>Start-up failed and has been explained in one line: forget what was held back.</summary>
    public void Discard()
    {
        lock (_gate)
            _held?.Clear();
    }
}
