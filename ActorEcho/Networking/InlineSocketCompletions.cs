namespace ActorEcho.Networking;

/// <summary>
/// <c>actor-echo.inline-socket-completions</c>: runs socket completions on .NET's socket event thread instead of
/// queueing each one to the thread pool (the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>).
/// Akka.IO's completion handler only posts a message to the connection actor's mailbox, so the thread-pool hop
/// it saves is pure overhead: two per echoed frame (the read and the send), each a thread wake-up. Measured in
/// docs/journal/issue-11-storms-frames-profile.md, "Profile per echoed frame" (context switches per echoed frame
/// 1.3 → 0.6; pingpong CPU per frame 78 → 58 µs).
/// </summary>
/// <remarks>
/// The runtime reads the variable once, when the first asynchronous socket operation starts, so this must run
/// before anything in the process opens a socket; the serve command calls it first thing. It changes nothing for
/// code whose socket continuations block, which would stall every socket: nothing in the server does.
/// </remarks>
public static class InlineSocketCompletions
{
    public const string RuntimeVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Switches inline completions on when <paramref name="enabled"/>, unless the environment already
    /// says otherwise (an operator's explicit variable wins over the configuration file).</summary>
    public static void Apply(bool enabled) =>
        Apply(enabled, Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable);

    /// <summary>The same against any environment: specs use their own, since setting the real variable in a test
    /// process could switch inline completions on for every other spec running beside it.</summary>
    internal static void Apply(bool enabled, Func<string, string?> read, Action<string, string> write)
    {
        if (enabled && read(RuntimeVariable) is null)
            write(RuntimeVariable, "1");
    }
}
