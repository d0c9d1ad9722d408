using System.Globalization;
using System.Text;

namespace ActorEcho.Limits;

/// <summary>
/// Turns drops (the UDP echo's) or refusals (the TCP listener's) into at most one log line per interval, so that a flood cannot flood the log: the first drop
/// is logged at once, later ones are counted by reason and summed up in the next line, written by the first drop
/// after the interval has passed (or by <see cref="Flush"/>). Not thread-safe: one actor owns it.
/// </summary>
/// <param name="subject">What the line counts: the UDP echo's drops by default; the TCP listener's refusals.</param>
public sealed class DropLog(TimeSpan interval, TimeProvider time, Action<string> write, string subject = "UDP: not echoed")
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private readonly Dictionary<string, long> _counts = [];
    private long _lastLine = long.MinValue;
    private string? _lastSource;

    /// <summary>Counts one drop; writes a line if the interval since the last one has passed.</summary>
    public void Dropped(string reason, string source)
    {
        _counts[reason] = _counts.GetValueOrDefault(reason) + 1;
        _lastSource = source;
        var now = time.GetTimestamp();
        if (_lastLine != long.MinValue && now - _lastLine < _intervalTicks)
            return;
        _lastLine = now;
        Flush();
    }

    /// <summary>Writes the drops not yet logged, if any.</summary>
    public void Flush()
    {
        if (_counts.Count == 0)
            return;
        var line = new StringBuilder(subject).Append(' ');
        var first = true;
        // Array.Sort, not LINQ's OrderBy: the line is written when descriptors may have run out, and OrderBy's first
        // use loads an assembly (System.Numerics.Vectors), which then fails and takes the writing actor down.
        var reasons = _counts.Keys.ToArray();
        Array.Sort(reasons, StringComparer.Ordinal);
        foreach (var reason in reasons)
        {
            line.Append(CultureInfo.InvariantCulture, $"{(first ? "" : ", ")}{_counts[reason]} {reason}");
            first = false;
        }
        line.Append(CultureInfo.InvariantCulture, $" (last from {_lastSource}); at most one such line per {interval.TotalSeconds:0.###} s");
        _counts.Clear();
        write(line.ToString());
    }
}
