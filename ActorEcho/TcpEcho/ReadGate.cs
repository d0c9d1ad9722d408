namespace ActorEcho.TcpEcho;

/// <summary>The answer of <see cref="EchoWindow.NextRead"/>.</summary>
public enum ReadGate
{
    /// <summary>Under the high watermark: read.</summary>
    Open,

    /// <summary>Was paused (by the watermarks or the budget) and may read again.</summary>
    Resumed,

    /// <summary>Just reached the high watermark: stop reading.</summary>
    Paused,

    /// <summary>The window is open, but the server-wide budget is exhausted and this window holds bytes: stop
    /// reading (<see cref="EchoBudget"/>).</summary>
    PausedByBudget,

    /// <summary>Paused, by the watermarks or the budget, and still so: do not read.</summary>
    StillPaused,
}
