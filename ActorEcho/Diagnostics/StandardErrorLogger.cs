using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace ActorEcho.Diagnostics;

/// <summary>
/// Akka's log events, written to stderr in Akka's usual format. Akka's own default logger writes to stdout, where
/// this server prints the one line that scripts read (<c>Listening on ip:port</c>); keeping the log on stderr keeps
/// stdout to that line. Configured in <c>akka.hocon</c> as <c>akka.loggers</c>.
/// </summary>
/// <remarks>
/// Until the server is listening, the log is held back: if start-up fails (address in use, say), the user gets the
/// host's one-line explanation, not Akka's error log with its stack trace; once the server listens, what was held
/// is written out.
/// </remarks>
public sealed class StandardErrorLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>Start-up lines held back at most (a start-up logs a handful).</summary>
    private const int HeldLinesLimit = 1000;

    private static readonly Lock Gate = new();
    private static List<string>? _held = [];

    /// <summary>The server is listening: write what was held back and log directly from now on.</summary>
    public static void Release()
    {
        lock (Gate)
        {
            if (_held is null)
                return;
            foreach (var line in _held)
                Console.Error.WriteLine(line);
            _held = null;
        }
    }

    /// <summary>Start-up failed and has been explained in one line: forget what was held back.</summary>
    public static void DiscardHeld()
    {
        lock (Gate)
            _held?.Clear();
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent logEvent:
                Write(logEvent.ToString());
                return true;
            default:
                return false;
        }
    }

    private static void Write(string line)
    {
        lock (Gate)
        {
            if (_held is null)
                Console.Error.WriteLine(line);
            else if (_held.Count < HeldLinesLimit)
                _held.Add(line);
        }
    }
}
