namespace ActorEcho.Diagnostics;

/// <summary>Process exit codes, documented in README.md, and the one way commands report an expected error.</summary>
public static class ExitCodes
{
    /// <summary>Normal end, including a graceful shutdown on Ctrl-C or SIGTERM.</summary>
    public const int Ok = 0;

    /// <summary>Unexpected failure.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line, address or configuration.</summary>
    public const int BadInput = 2;

    /// <summary>Network error: cannot bind, connection refused, unreachable or timed out.</summary>
    public const int NetworkError = 3;

    /// <summary>The echo did not match what was sent (client and bench).</summary>
    public const int EchoMismatch = 4;

    /// <summary>Interrupted (Ctrl-C) before anything could be reported: 128 + SIGINT, as shells expect.</summary>
    public const int Interrupted = 130;

    /// <summary>Prints an expected error as the one line users get (<c>actor-echo: ...</c> on stderr, never a stack
    /// trace) and returns <paramref name="exitCode"/> for the command to exit with.</summary>
    public static int Report(int exitCode, string message)
    {
        Console.Error.WriteLine($"actor-echo: {message}");
        return exitCode;
    }

    /// <summary>An error no check foresaw: still one line for the user (type and first line of the message),
    /// never a stack trace, and <see cref="Failure"/>.</summary>
    public static int ReportUnexpected(Exception error, string? context = null)
    {
        return Report(Failure, $"{(context is null ? "" : context + ": ")}{error.GetType().Name}: {OneLine.Of(error.Message)}");
    }
}
