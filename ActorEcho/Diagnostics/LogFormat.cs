namespace ActorEcho.Diagnostics;

/// <summary>How the log is written on stderr (<c>actor-echo.log-format</c>).</summary>
public enum LogFormat
{
    /// <summary>One line per event: time, level, category, message (Microsoft's simple console formatter).</summary>
    Text,
    /// <summary>One JSON object per line (Microsoft's JSON console formatter), with the event's named values as
    /// fields under <c>State</c>.</summary>
    Json,
}
