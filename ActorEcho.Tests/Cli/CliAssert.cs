namespace ActorEcho.Tests.Cli;

internal static class CliAssert
{
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    /// <summary>An expected failure: the exit code, and exactly one <c>actor-echo: ...</c> line, no stack trace.</summary>
    public static string OneLineError(int expectedExitCode, int exitCode, string stderr)
    {
        Assert.True(expectedExitCode == exitCode, $"exit code {exitCode}, expected {expectedExitCode}; stderr:\n{stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("actor-echo: ", lines[0]);
        Assert.DoesNotContain("   at ", stderr);
        return lines[0];
    }

    /// <summary>A parse error from System.CommandLine: exit code 2, the message, no stack trace.</summary>
    public static void ParseError(int exitCode, string stderr, string expectedMessage)
    {
        Assert.True(exitCode == 2, $"exit code {exitCode}, expected 2; stderr:\n{stderr}");
        Assert.Contains(expectedMessage, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Unhandled exception", stderr);
    }
}
