namespace ActorEcho.LoadEngine;

/// <summary>Where <c>--report</c> writes: checked before any load starts, so a long run never ends unable to save.</summary>
public static class ReportFile
{
    /// <summary>Null if a file can be written at <paramref name="path"/>, else the one-line reason.</summary>
    public static string? Check(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"--report '{path}': {e.Message}";
        }
        if (Directory.Exists(full))
            return $"--report '{path}' is a directory; name a file, e.g. {Path.Combine(path, "report.html")}";
        var directory = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(directory))
            return $"--report '{path}': the directory '{directory}' does not exist";
        // Permissions alone do not say it (root, read-only mounts, ACLs): create a file there and remove it.
        var probe = Path.Combine(directory, $".actor-echo-report-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"--report '{path}': the directory '{directory}' is not writable ({e.Message})";
        }
    }
}
