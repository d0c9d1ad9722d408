namespace ActorEcho.Tests.Tls;

/// <summary>A fact that needs external programs (<c>openssl</c>, <c>socat</c>): skipped, with the reason shown, where
/// one is not on the PATH (.ci/run installs them with apt-get).</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(tool => FindOnPath(tool) is null).ToArray();
        if (missing.Length > 0)
            Skip = $"not installed: {string.Join(", ", missing)} (Debian: apt-get install {string.Join(' ', missing)})";
    }

    public static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, tool))
        .FirstOrDefault(File.Exists);
}
