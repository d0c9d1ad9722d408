namespace ActorEcho.Diagnostics;

/// <summary>The one test of whether reading a file failed for a reason to report (or to do without), not a bug.</summary>
internal static class FileErrors
{
    /// <summary>Missing or unreadable (IOException), not permitted (UnauthorizedAccessException), or a path the OS
    /// refuses (ArgumentException, NotSupportedException).</summary>
    public static bool IsUnreadable(Exception e) =>
        e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException;
}
