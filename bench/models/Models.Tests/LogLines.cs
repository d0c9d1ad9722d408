using System.Text;

namespace ActorEcho.Models.Tests;

/// <summary>A log the models write lines to, which a spec can wait on: "the server has accepted this client" is
/// then an event to await, not a guess at a delay.</summary>
internal sealed class LogLines : TextWriter
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
                return _lines.ToArray();
        }
    }

    public override void WriteLine(string? value)
    {
        var line = value ?? "";
        lock (_lock)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    public override void Write(char value) => throw new NotSupportedException("the models log whole lines");

    /// <summary>Completes when a line matching <paramref name="match"/> has been logged, before or after the call.</summary>
    public Task WaitForLineAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_lines.Any(match))
                return Task.CompletedTask;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, seen));
            return seen.Task.WaitAsync(cancellationToken);
        }
    }
}
